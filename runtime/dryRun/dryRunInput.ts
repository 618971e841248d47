import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SecretBox } from '../../infrastructure/crypto/secretBox';
import { connectorConfigCodecs } from '../../domain/connector/connectorConfig';
import { schemaOf, type MapperEntry } from '../../domain/mapper/mapperSpec';
import { settingsOf, type PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { ReadModels } from '../../projections/readModels';
import { METADATA_COLUMNS } from '../worker/messageChanges';
import { DEFAULT_FEED } from '../worker/workerSpec';
import { openConnector } from '../workerSpecs';
import type { DryRunInput } from './dryRun';

/**
 * What a dry run of a pipeline tries, from its read model, as a start would build it for its
 * first subscription (desiredWorkerSpecs): the source topic, the target table and its columns,
 * the feed options with their defaults. `mapper` replaces the stored mapper (one to try before
 * saving). Left: why this pipeline cannot be dry-run (a connector gone, no source topic).
 */
export async function dryRunInputOf(
  views: Pick<ReadModels, 'connectors'>,
  secrets: SecretBox,
  pipeline: PipelineDoc,
  choice: { readonly mapper?: readonly MapperEntry[]; readonly limit: number },
): Promise<Either<string, DryRunInput>> {
  const settings = settingsOf(pipeline);
  const subscription = settings.subscriptions[0];
  if (subscription === undefined) return left('The pipeline has no subscription to try');
  const source = openConnector(await views.connectors.get(settings.sourceConnectorId), secrets);
  const target = openConnector(await views.connectors.get(settings.targetConnectorId), secrets);
  if (source === undefined || target === undefined) return left("The pipeline's source or target connector no longer exists");
  const sourceConfig = connectorConfigCodecs.KAFKA_SOURCE.decode(source.config);
  if (source.type !== 'KAFKA_SOURCE' || isLeft(sourceConfig)) return left("The pipeline's source is not a valid Kafka source connector");
  const topic = settings.datamodel.source_topic ?? sourceConfig.right.topic;
  const mapper = choice.mapper ?? subscription.mapper_config;
  const includeMetadata = sourceConfig.right.include_metadata === true;
  return right({
    source: { ...sourceConfig.right, topic },
    target,
    table: {
      name: subscription.target_table_name ?? pipeline.name,
      columns: [...schemaOf(mapper), ...(includeMetadata ? METADATA_COLUMNS : [])],
      evolution: subscription.schema_evolution ?? DEFAULT_FEED.schemaEvolution,
    },
    read: {
      mapper,
      envelope: subscription.envelope ?? DEFAULT_FEED.envelope,
      deleteOnTombstone: subscription.delete_on_tombstone ?? DEFAULT_FEED.deleteOnTombstone,
      includeMetadata,
    },
    limit: choice.limit,
  });
}
