// Compiles every Solidity source under contracts/src with the pinned solcjs (standard JSON),
// resolving @openzeppelin/ and @eth-optimism/contracts-bedrock/ imports from node_modules, and writes one artifact per contract to
// contracts/artifacts/<ContractName>.json: { contractName, sourceName, abi, bytecode,
// deployedBytecode, storageLayout }. Artifacts are committed so that Python runs without Node.
// Usage: node contracts/build.mjs [--out DIR]   (DIR defaults to contracts/artifacts)
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const srcDir = path.join(here, "src");
const outIndex = process.argv.indexOf("--out");
const outDir = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(here, "artifacts");

function listSources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listSources(full);
    return entry.name.endsWith(".sol") ? [full] : [];
  }).sort();
}

const sources = {};
for (const file of listSources(srcDir)) {
  sources[path.relative(here, file).split(path.sep).join("/")] = { content: fs.readFileSync(file, "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    viaIR: false,
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "storageLayout"] } },
  },
};

// OP's contracts-bedrock pins `pragma solidity 0.8.15;` exactly. Its libraries (SafeCall,
// ResourceMetering) are internal code compiled into our 0.8.28 contracts, so they must be built by
// the same compiler as the contract using them: a second compiler cannot help. Two changes are
// made to OP's text as it is read: that pragma, relaxed to `^0.8.15`, and its imports of its own
// files as "src/…" (OP's foundry remapping), named inside the package. The code is the pinned
// package's. (A solc `remappings` setting would do the second too, but it enters every
// contract's metadata and so changes every artifact's bytecode.)
const OP_PACKAGE = "@eth-optimism/contracts-bedrock/";
const OP_PINNED_PRAGMA = /^pragma solidity 0\.8\.15;/m;
const OP_SRC_IMPORT = /(import\s[^;]*?")src\//g;

function findImports(importPath) {
  for (const base of [path.join(root, "node_modules"), here]) {
    const candidate = path.join(base, importPath);
    if (!fs.existsSync(candidate)) continue;
    const contents = fs.readFileSync(candidate, "utf8");
    if (importPath.startsWith(OP_PACKAGE)) {
      return {
        contents: contents.replace(OP_PINNED_PRAGMA, "pragma solidity ^0.8.15;").replace(OP_SRC_IMPORT, `$1${OP_PACKAGE}src/`),
      };
    }
    return { contents };
  }
  return { error: `import not found: ${importPath}` };
}

// Storage layouts carry solc AST ids, which shift for every contract whenever any source is
// added. Strip them so an artifact changes only when its own contract does.
function stableLayout(layout) {
  if (!layout) return layout;
  const text = JSON.stringify(layout)
    .replace(/"astId":\d+,?/g, "")
    .replace(/(t_(?:contract|struct|enum|userDefinedValueType)\([^)]*\))\d+/g, "$1");
  return JSON.parse(text.replace(/,}/g, "}"));
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) {
  if (e.severity === "error" || !/SPDX|Warning: Unnamed/.test(e.formattedMessage)) console.error(e.formattedMessage);
}
if (errors.length) process.exit(1);

// An RWA asset (RWAToken) runs every function it does not define in RWATokenExtension, through its
// fallback on its own storage: the asset's address answers both. So the RWAToken artifact's ABI
// is the asset's whole interface: its own entries, then the extension's that it lacks. A dispute
// game (OutputDisputeGame) runs its leaf steps in OutputDisputeGameLeaves the same way.
const FALLBACK_EXTENSIONS = {
  "src/L2/rwa/RWAToken.sol:RWAToken": "src/L2/rwa/RWATokenExtension.sol:RWATokenExtension",
  "src/L1/dispute/OutputDisputeGame.sol:OutputDisputeGame": "src/L1/dispute/OutputDisputeGameLeaves.sol:OutputDisputeGameLeaves",
};

function abiKey(entry) {
  const types = (params) => (params || []).map((p) => (p.type.startsWith("tuple") ? JSON.stringify(p.components) + p.type : p.type));
  return `${entry.type}:${entry.name || ""}(${types(entry.inputs).join(",")})`;
}

function joinedAbi(sourceName, contractName, abi) {
  const extension = FALLBACK_EXTENSIONS[`${sourceName}:${contractName}`];
  if (!extension) return abi;
  const [extSource, extName] = extension.split(":");
  const own = new Set(abi.map(abiKey));
  // The extension's own receive/fallback/constructor are not the asset's.
  const added = output.contracts[extSource][extName].abi.filter((e) => e.name && !own.has(abiKey(e)));
  return [...abi, ...added];
}

fs.mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [sourceName, contracts] of Object.entries(output.contracts)) {
  if (!sourceName.startsWith("src/")) continue; // OpenZeppelin's own contracts are not ours to ship
  for (const [contractName, c] of Object.entries(contracts)) {
    const artifact = {
      contractName,
      sourceName,
      compiler: `solc-${solc.version()}`,
      abi: joinedAbi(sourceName, contractName, c.abi),
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      storageLayout: stableLayout(c.storageLayout),
    };
    fs.writeFileSync(path.join(outDir, `${contractName}.json`), JSON.stringify(artifact, null, 2) + "\n");
    written += 1;
  }
}
console.log(`compiled ${Object.keys(sources).length} sources, wrote ${written} artifacts to ${path.relative(process.cwd(), outDir) || "."}`);
