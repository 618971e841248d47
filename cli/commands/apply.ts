import { emit, EXIT, type CliCommand } from '../context';
import { applyPlan } from '../pipelinesAsCode/applier';
import { changeText, summaryText } from '../pipelinesAsCode/planner';
import { planUsage, preparePlan } from '../pipelinesAsCode/preparePlan';

const usage = planUsage('apply', 'makes the installation what the files declare, through the API; a second run changes nothing');

/** Pipelines as code: applies YAML files; the first refusal stops it, non-zero, with the API's reason. */
export const command: CliCommand = {
  name: 'apply',
  usage,
  async run(args, ctx) {
    const { client, installation, plan, json } = await preparePlan(args, ctx, usage);
    await applyPlan(client, installation, plan, (change) =>
      emit(
        ctx,
        json,
        { action: change.action, kind: change.kind, name: change.name, fields: change.fields, applied: true },
        changeText(change),
      ),
    );
    emit(ctx, json, { changes: plan.changes.length, kept: plan.kept }, summaryText(plan, true));
    return EXIT.ok;
  },
};
