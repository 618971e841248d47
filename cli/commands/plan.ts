import { emit, EXIT, type CliCommand } from '../context';
import { changeText, summaryText } from '../pipelinesAsCode/planner';
import { planUsage, preparePlan } from '../pipelinesAsCode/preparePlan';

const usage = planUsage('plan', 'prints what `popsink apply` would create, change or delete; changes nothing');

/** Pipelines as code: the difference between YAML files and the installation. */
export const command: CliCommand = {
  name: 'plan',
  usage,
  async run(args, ctx) {
    const { plan, json } = await preparePlan(args, ctx, usage);
    for (const change of plan.changes)
      emit(ctx, json, { action: change.action, kind: change.kind, name: change.name, fields: change.fields }, changeText(change));
    emit(ctx, json, { changes: plan.changes.length, kept: plan.kept }, summaryText(plan, false));
    return EXIT.ok;
  },
};
