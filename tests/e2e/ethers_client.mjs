// ethers v6 (pinned in package.json) against a Lantau node, as a dapp would use it.
// Driven by tests/e2e/test_ethers.py: node ethers_client.mjs RPC_URL PRIVATE_KEY PROBE_ARTIFACT
// Prints one JSON object of what it saw; any ethers error ends the script with exit code 1.
import { readFileSync } from "node:fs";
import { ContractFactory, JsonRpcProvider, Wallet } from "ethers";

const [url, key, artifactPath] = process.argv.slice(2);
const provider = new JsonRpcProvider(url, undefined, { polling: true, pollingInterval: 250 });
const wallet = new Wallet(key, provider);
const out = {};

// A value transfer, waited for: ethers polls blocks and receipts of blocks that carry deposits.
const sent = await wallet.sendTransaction({ to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", value: 12345n });
const receipt = await sent.wait();
out.transfer = { hash: sent.hash, status: receipt.status, blockNumber: receipt.blockNumber };

// The block with its transactions prefetched: its first is the L1-info deposit (0x7E).
const block = await provider.getBlock(receipt.blockNumber, true);
const first = block.prefetchedTransactions[0];
out.block = {
  transactions: block.prefetchedTransactions.length,
  firstType: first.type,
  firstHash: first.hash,
  containsTransfer: block.prefetchedTransactions.some((tx) => tx.hash === sent.hash),
};

// The deposit by hash, and its receipt.
const deposit = await provider.getTransaction(first.hash);
const depositReceipt = await provider.getTransactionReceipt(first.hash);
out.deposit = {
  type: deposit.type,
  from: deposit.from,
  nonce: deposit.nonce,
  r: deposit.signature.r,
  receiptStatus: depositReceipt.status,
};

// A contract: deploy, send a call, read it back.
const artifact = JSON.parse(readFileSync(artifactPath, "utf8"));
const factory = new ContractFactory(artifact.abi, artifact.bytecode, wallet);
const probe = await factory.deploy();
await probe.waitForDeployment();
const setTx = await probe.set(42n, "from ethers");
const setReceipt = await setTx.wait();
out.contract = {
  address: await probe.getAddress(),
  value: (await probe.value()).toString(),
  events: setReceipt.logs.length,
  status: setReceipt.status,
};
let reason = null;
try {
  await probe.set.staticCall(13n, "x");
} catch (error) {
  reason = error.reason ?? null;
}
out.contract.revertReason = reason;

console.log(JSON.stringify(out));
provider.destroy();
