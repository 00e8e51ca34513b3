// A native-solc look-alike over npm's solc-js (WebAssembly), for py-solc-x: no solc binary can
// be downloaded offline, but the npm package carries the compiler. It answers exactly the two
// calls py-solc-x makes for standard-JSON compilation and refuses anything else (exit 2):
//   --version                      prints "Version: <solc-js version>"
//   --standard-json [--base-path P] [--include-path P]... [--allow-paths X]
//                                  reads the JSON input on stdin, writes only the JSON output.
// Imports resolve under the base path, the include paths and <base>/node_modules.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const projectRoot = path.resolve(__dirname, "..", "..");
const solc = require(require.resolve("solc", { paths: [projectRoot] }));

function parseArguments(argv) {
  const options = { standardJson: false, version: false, basePath: null, includePaths: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === "--version") options.version = true;
    else if (argument === "--standard-json") options.standardJson = true;
    else if (argument === "--base-path") options.basePath = argv[++i];
    else if (argument === "--include-path") options.includePaths.push(argv[++i]);
    else if (argument === "--allow-paths") i += 1; // solc-js reads only what findImports returns
    else return null;
  }
  return options;
}

function importResolver(roots) {
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      // Keep resolution inside the configured roots, like native solc's --allow-paths.
      if (!candidate.startsWith(path.resolve(root) + path.sep)) continue;
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `File not found in ${roots.join(", ")}: ${importPath}` };
  };
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options === null || options.version === options.standardJson) {
    process.stderr.write("solc-shim supports only --version and --standard-json\n");
    process.exit(2);
  }
  if (options.version) {
    process.stdout.write(`solc, the solidity compiler (solc-js)\nVersion: ${solc.version()}\n`);
    return;
  }
  const basePath = path.resolve(options.basePath ?? process.cwd());
  const roots = [basePath, ...options.includePaths.map((p) => path.resolve(p)),
    path.join(basePath, "node_modules")];
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: importResolver(roots) }));
}

main();
