import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/http';
import { fieldErrorsOf, fieldPathOf } from '../../api/fieldErrors';
import { createPipeline } from '../../api/pipelines';
import type { Pipeline } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Link } from '../../navigation';
import { useSession } from '../../session';
import { DryRunPanel } from '../pipeline/DryRunPanel';
import { MapperStep } from './MapperStep';
import { ReviewStep } from './ReviewStep';
import { SourceStep } from './SourceStep';
import { TargetStep } from './TargetStep';
import { INITIAL_DRAFT, newPipelineOf, STEPS, stepOfField, type WizardDraft, type WizardStep } from './wizardDraft';

const labelOf = (step: WizardStep): string => STEPS.find((candidate) => candidate.id === step)?.label ?? step;

/** A refused create in words, each message with the step that holds its field. */
function CreateRefusal({ error, goTo }: { readonly error: unknown; goTo(step: WizardStep): void }) {
  if (!(error instanceof ApiError) || error.issues.length === 0) return <ErrorNotice error={error} />;
  return (
    <div role="alert" className="notice error">
      <p>The pipeline was not created. Fix these, then create it again:</p>
      <ul>
        {error.issues.map((issue, index) => {
          const step = stepOfField(fieldPathOf(issue));
          return (
            <li key={index}>
              {labelOf(step)} ({fieldPathOf(issue) || 'request'}): {issue.msg}{' '}
              <button type="button" className="link" onClick={() => goTo(step)}>
                Go to {labelOf(step).toLowerCase()}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Created({ pipeline }: { readonly pipeline: Pipeline }) {
  return (
    <>
      <p role="status" className="notice ok">
        Pipeline {pipeline.name} was created, as a draft. Try it against the target, then open it to start it.
      </p>
      <DryRunPanel pipelineId={pipeline.id} />
      <p>
        <Link to={`/pipelines/${pipeline.id}`} className="button">
          Open pipeline {pipeline.name}
        </Link>
      </p>
    </>
  );
}

/** Creates a pipeline in four steps: source, target, mapper, then name and options. */
export function PipelineWizardPage() {
  const { team } = useSession();
  const [draft, setDraft] = useState<WizardDraft>(INITIAL_DRAFT);
  const [step, setStep] = useState<WizardStep>('source');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Pipeline>();
  const errors = fieldErrorsOf(error);
  const update = (change: Partial<WizardDraft>) => setDraft((current) => ({ ...current, ...change }));
  const index = STEPS.findIndex((candidate) => candidate.id === step);

  const goTo = (next: WizardStep) => {
    setStep(next);
    // The new step's heading takes the focus, so that keyboard and screen-reader users start there.
    window.requestAnimationFrame(() => document.querySelector<HTMLElement>('.wizard-step h2')?.focus());
  };

  /** Enter in a field moves on to the next step; only the last step creates. */
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (step !== 'review') return goTo(STEPS[index + 1]?.id ?? 'review');
    if (team === undefined) return;
    setBusy(true);
    setError(undefined);
    createPipeline(newPipelineOf(draft, team.id)).then(setCreated, (reason: unknown) => {
      setError(reason);
      const first = reason instanceof ApiError ? reason.issues[0] : undefined;
      if (first !== undefined) goTo(stepOfField(fieldPathOf(first)));
      setBusy(false);
    });
  };

  if (team === undefined) {
    return (
      <>
        <h1 tabIndex={-1}>New pipeline</h1>
        <p>Choose a team first: a pipeline belongs to a team.</p>
      </>
    );
  }

  const stepProps = { draft, update, errors, teamId: team.id };
  return (
    <>
      <h1 tabIndex={-1}>New pipeline</h1>
      {created !== undefined ? (
        <Created pipeline={created} />
      ) : (
        <>
          <nav aria-label="Wizard steps">
            <ol className="steps">
              {STEPS.map((candidate, at) => (
                <li key={candidate.id}>
                  <button
                    type="button"
                    className="step"
                    aria-current={candidate.id === step ? 'step' : undefined}
                    onClick={() => goTo(candidate.id)}
                  >
                    {at + 1}. {candidate.label}
                  </button>
                </li>
              ))}
            </ol>
          </nav>
          <CreateRefusal error={error} goTo={goTo} />
          <form className="wizard-step" onSubmit={submit} noValidate>
            {step === 'source' ? <SourceStep {...stepProps} /> : null}
            {step === 'target' ? <TargetStep {...stepProps} /> : null}
            {step === 'mapper' ? <MapperStep {...stepProps} /> : null}
            {step === 'review' ? <ReviewStep {...stepProps} /> : null}
            <div className="actions wizard-nav">
              {index > 0 ? (
                <button type="button" className="secondary" onClick={() => goTo(STEPS[index - 1]?.id ?? 'source')}>
                  Back
                </button>
              ) : null}
              {/* Distinct keys: were the "next" button turned into the submit button during its own click, the browser would submit the form. */}
              {step === 'review' ? (
                <button key="create" type="submit" disabled={busy}>
                  {busy ? 'Creating…' : 'Create pipeline'}
                </button>
              ) : (
                <button key="next" type="button" onClick={() => goTo(STEPS[index + 1]?.id ?? 'review')}>
                  Next: {STEPS[index + 1]?.label}
                </button>
              )}
            </div>
          </form>
        </>
      )}
    </>
  );
}
