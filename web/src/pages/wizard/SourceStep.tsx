import { useId, useState } from 'react';
import { checkKafkaSource, fetchMessages, listSources, listTopics } from '../../api/connectors';
import { fieldErrorsOf, type FieldErrors } from '../../api/fieldErrors';
import type { ConnectorConfig, SampleMessage } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SelectField, TextField } from '../../components/Field';
import { TableRegion } from '../../components/TableRegion';
import { useLoad } from '../../useLoad';
import { CheckOutcome, type Outcome } from './CheckOutcome';
import { ConfigFields } from './ConfigFields';
import { ConnectorModeChoice } from './ConnectorModeChoice';
import { CONFIG_FIELDS } from './connectorForms';
import { sourceConfigOf, type WizardDraft } from './wizardDraft';

const SAMPLE_LIMIT = 5;
/** A shared cluster can hold hundreds of topics: the list shows those matching what was typed. */
const MAX_TOPICS_SHOWN = 12;

export function SourceStep({
  draft,
  update,
  errors,
  teamId,
}: {
  readonly draft: WizardDraft;
  update(change: Partial<WizardDraft>): void;
  readonly errors: FieldErrors;
  readonly teamId: string;
}) {
  const sources = useLoad(() => listSources(teamId), [teamId]);
  const [outcome, setOutcome] = useState<Outcome>();
  const [topics, setTopics] = useState<readonly string[]>([]);
  const [samples, setSamples] = useState<readonly SampleMessage[]>([]);
  const [busy, setBusy] = useState(false);
  const topicsId = useId();
  const source = draft.source;
  const existing = sources.data?.find((connector) => connector.id === source.existingId);

  /** The config the checks try: the form's, or the chosen connector's (its secrets masked, so a SASL one cannot be tried from here). */
  const config: ConnectorConfig | undefined = source.mode === 'new' ? sourceConfigOf(draft) : existing?.config;
  const checkErrors: FieldErrors = outcome !== undefined && 'error' in outcome ? fieldErrorsOf(outcome.error, 'source_config') : {};
  const shownErrors = { ...errors, ...checkErrors };
  const typedTopic = source.values['topic'] ?? '';
  const matchingTopics = topics.filter((topic) => topic.includes(typedTopic)).slice(0, MAX_TOPICS_SHOWN);

  const run = (action: (config: ConnectorConfig) => Promise<string>) => {
    if (config === undefined) return;
    setBusy(true);
    setOutcome(undefined);
    action(config)
      .then(
        (ok) => setOutcome({ ok }),
        (error: unknown) => setOutcome({ error }),
      )
      .finally(() => setBusy(false));
  };

  const check = () => run(async (given) => (await checkKafkaSource(given), 'The Kafka cluster answered: the connection works.'));
  const list = () =>
    run(async (given) => {
      const found = await listTopics(given);
      setTopics(found);
      return `${found.length} topic${found.length === 1 ? '' : 's'} found: type a part of the name in the topic field to narrow the list.`;
    });
  const sample = () =>
    run(async (given) => {
      const fetched = await fetchMessages(given, SAMPLE_LIMIT);
      setSamples(fetched);
      update({
        samples: fetched
          .map((message) => message.value ?? '')
          .filter((value) => value !== '')
          .join('\n'),
      });
      return fetched.length === 0
        ? 'The topic holds no message yet: type a sample message in the mapper step.'
        : `${fetched.length} sample messages fetched.`;
    });

  return (
    <section aria-labelledby="source-title">
      <h2 id="source-title" tabIndex={-1}>
        Source: a Kafka topic
      </h2>
      <ConnectorModeChoice legend="Read from" mode={source.mode} onChange={(mode) => update({ source: { ...source, mode } })} />
      {source.mode === 'existing' ? (
        <>
          <ErrorNotice error={sources.error} />
          <SelectField
            label="Source connector"
            value={source.existingId}
            onChange={(existingId) => update({ source: { ...source, existingId } })}
            options={[
              { value: '', label: 'Choose a connector' },
              ...(sources.data ?? []).map((connector) => ({
                value: connector.id,
                label: `${connector.name} (${String(connector.config['topic'] ?? '')})`,
              })),
            ]}
            error={errors['existing_source_id']}
          />
        </>
      ) : (
        <>
          <TextField
            label="Connector name"
            value={source.name}
            onChange={(name) => update({ source: { ...source, name } })}
            error={errors['source_name']}
          />
          <ConfigFields
            fields={CONFIG_FIELDS.KAFKA_SOURCE}
            values={source.values}
            onChange={(values) => update({ source: { ...source, values } })}
            errors={shownErrors}
            prefix="source_config"
            topicsList={topicsId}
          />
          <datalist id={topicsId}>
            {topics.map((topic) => (
              <option key={topic} value={topic} />
            ))}
          </datalist>
        </>
      )}
      <div className="actions">
        <button type="button" className="secondary" disabled={busy || config === undefined} onClick={check}>
          Check connection
        </button>
        <button type="button" className="secondary" disabled={busy || config === undefined} onClick={list}>
          List topics
        </button>
        <button type="button" className="secondary" disabled={busy || config === undefined} onClick={sample}>
          Fetch sample messages
        </button>
      </div>
      <CheckOutcome outcome={outcome} shown={Object.keys(checkErrors)} />
      {matchingTopics.length > 0 && source.mode === 'new' ? (
        <ul className="chips" aria-label="Topics">
          {matchingTopics.map((topic) => (
            <li key={topic}>
              <button
                type="button"
                className="chip"
                aria-pressed={source.values['topic'] === topic}
                onClick={() => update({ source: { ...source, values: { ...source.values, topic } } })}
              >
                {topic}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {samples.length > 0 ? (
        <TableRegion label="Sample messages">
          <table>
            <caption>Sample messages</caption>
            <thead>
              <tr>
                <th scope="col">Partition</th>
                <th scope="col">Offset</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {samples.map((message) => (
                <tr key={`${message.partition}-${message.offset}`}>
                  <td>{message.partition}</td>
                  <td>{message.offset}</td>
                  <td>
                    <code>{message.value ?? '(no value)'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}
