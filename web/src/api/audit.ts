import { call, queryOf, type Page } from './http';
import type { AuditEntry } from './types';

export const AUDIT_PAGE_SIZE = 50;

export const auditLog = (filter: {
  readonly eventType: string;
  readonly resourceId: string;
  readonly skip: number;
}): Promise<Page<AuditEntry>> =>
  call(
    'GET',
    `/user-logs${queryOf({ event_type: filter.eventType, resource_id: filter.resourceId, skip: filter.skip, limit: AUDIT_PAGE_SIZE })}`,
  );
