// Lints probe sources with the project's real ESLint config, as if they were files at the given paths. Run as a
// child process (ESLint loads its flat config with import(), which jest's module system does not provide).
// Input on stdin: [{ "filePath": "src/orchestrations/probe.ts", "code": "..." }]. Output: the messages per probe.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const probes = JSON.parse(await new Response(process.stdin).text());
// Probe files do not exist, so the type-aware parser cannot load them; every other rule runs as configured.
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [tseslint.configs.disableTypeChecked] });
const results = [];
for (const probe of probes) {
  const [result] = await eslint.lintText(probe.code, { filePath: probe.filePath });
  results.push({
    filePath: probe.filePath,
    messages: result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })),
  });
}
process.stdout.write(JSON.stringify(results));
