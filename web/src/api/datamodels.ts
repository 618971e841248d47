import { call, queryOf, type Page } from './http';
import type { Datamodel, DatamodelMonitoring, SchemaColumn } from './types';

export const listDatamodels = (): Promise<Page<Datamodel>> => call('GET', `/datamodels/${queryOf({ limit: 100 })}`);

export const datamodelSchema = (id: string): Promise<readonly SchemaColumn[]> => call('GET', `/datamodels/${id}/schema`);

export const datamodelMonitoring = (id: string): Promise<DatamodelMonitoring> => call('GET', `/datamodels/${id}/monitoring`);
