import { EXIT, parseOptions, usageFailure, type CliCommand } from '../context';
import { fileJsonSchema } from '../pipelinesAsCode/fileSchema';

const usage = 'usage: popsink schema   (prints the JSON Schema of pipelines-as-code files, cli/pipelinesAsCode/popsink.schema.json)';

/** For editors and CI linters away from the repository; `plan` and `apply` check every file against it themselves. */
export const command: CliCommand = {
  name: 'schema',
  usage,
  async run(args, ctx) {
    const { positionals } = parseOptions(args, {}, usage);
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    ctx.write(`${JSON.stringify(fileJsonSchema, null, 2)}\n`);
    return EXIT.ok;
  },
};
