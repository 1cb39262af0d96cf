import { parseArgs } from 'node:util';

// Loads a package, or exits 2 with the command that installs it (instead of a stack trace
// that a caller could mistake for a rejected token).

export async function loadOrExit(name) {
  try {
    return await import(name);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error(`missing npm package ${name}; run: npm ci --prefix interop/node`);
    process.exit(2);
  }
}

// The string options `names` of a script run as `node <script> --name V …`, each required:
// exits 2 with the usage line when one is missing.
export function requiredArgs(script, names, tail = '') {
  const { values } = parseArgs({
    options: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
  });
  if (names.some((name) => !values[name])) {
    const usage = names.map((name) => `--${name} V`).join(' ');
    console.error(`usage: node ${script} ${usage} ${tail}`.trimEnd());
    process.exit(2);
  }
  return values;
}
