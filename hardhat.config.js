// Hardhat 3 configuration: compiles contracts/ with the solc-js compiler installed from npm
// (no compiler download, so it works offline) and keeps its artefacts under contracts/build/.
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  solidity: {
    compilers: [
      {
        version: require("solc/package.json").version,
        path: require.resolve("solc/soljson.js"),
        settings: {
          optimizer: { enabled: true, runs: 200 },
          // py-evm (the embedded dev chain) runs up to Prague; newer solc defaults beyond it.
          evmVersion: "cancun",
        },
      },
    ],
  },
  networks: {
    // The network `hardhat node` serves: like a production node, a reverting transaction is
    // mined with status 0 instead of being answered with an error (calls still report reverts).
    node: {
      type: "edr-simulated",
      chainType: "l1",
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
    },
  },
  paths: {
    sources: "contracts",
    tests: { solidity: "contracts/test" },
    cache: "contracts/build/hardhat-cache",
    artifacts: "contracts/build/hardhat-artifacts",
  },
});
