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
