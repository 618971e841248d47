import type { PipelineState } from '../api/types';

/** A pipeline's or subscription's state, as a word (colour only adds to it). */
export function StateBadge({ state }: { readonly state: PipelineState }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}
