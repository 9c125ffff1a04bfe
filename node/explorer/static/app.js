// The Lantau explorer: hash-routed pages drawn from the node's own JSON-RPC (POST / on this
// origin) and its WebSocket newHeads subscription. Read-only: no method called here changes
// state. Every value from the chain is put into the page as text, never as HTML.

const WEI_PER_HKD = 10n ** 18n;
const LATEST_BLOCKS = 20;      // home: blocks listed and charted
const LATEST_TXS = 15;         // home: transactions listed
const ADDRESS_TXS = 50;        // address: newest transactions listed (lantau_getTransactionsByAddress)
const REFUSALS_SCANNED = 200;  // asset: newest transactions to the token searched for compliance refusals
const BATCH = 100;             // JSON-RPC calls per batch request (the node allows 1,000)

// --- JSON-RPC -------------------------------------------------------------------------------

class RpcError extends Error {
  constructor(method, error) { super(`${method}: ${error.message}`); this.code = error.code; this.data = error.data; }
}

let nextId = 1;

async function post(body) {
  const reply = await fetch("/", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return reply.json();
}

async function rpc(method, ...params) {
  const answer = await post({ jsonrpc: "2.0", id: nextId++, method, params });
  if (answer.error) throw new RpcError(method, answer.error);
  return answer.result;
}

// Results in call order; a failed call's entry is its RpcError.
async function rpcBatch(calls) {
  const results = [];
  for (let start = 0; start < calls.length; start += BATCH) {
    const chunk = calls.slice(start, start + BATCH);
    const first = nextId;
    nextId += chunk.length;
    const answers = await post(chunk.map(([method, ...params], i) => ({ jsonrpc: "2.0", id: first + i, method, params })));
    const byId = new Map(answers.map((a) => [a.id, a]));
    chunk.forEach(([method], i) => {
      const answer = byId.get(first + i);
      results.push(answer.error ? new RpcError(method, answer.error) : answer.result);
    });
  }
  return results;
}

// --- formatting -----------------------------------------------------------------------------

const num = (hex) => (hex == null ? null : Number(BigInt(hex)));
const hex = (n) => "0x" + n.toString(16);

function hkd(weiHex) {
  const wei = BigInt(weiHex);
  const whole = wei / WEI_PER_HKD;
  const fraction = (wei % WEI_PER_HKD).toString().padStart(18, "0").replace(/0+$/, "");
  return `${whole}${fraction ? "." + fraction : ""} HKD (${wei} wei)`;
}

function time(tsHex) {
  return new Date(num(tsHex) * 1000).toISOString().replace(".000Z", "Z");
}

const short = (h) => (h && h.length > 18 ? h.slice(0, 10) + "…" + h.slice(-6) : h);

// --- DOM helpers ----------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const link = (href, text) => h("a", { href, class: "mono" }, text);
const blockLink = (n) => link(`#/block/${n}`, String(n));
const txLink = (hash, full) => link(`#/tx/${hash}`, full ? hash : short(hash));
const addressLink = (a, full) => (a ? link(`#/address/${a}`, full ? a : short(a)) : "—");

// A two-column table of named fields; each row carries data-field for tests and scripts.
function fields(rows) {
  return h("table", { class: "fields" },
    rows.filter((r) => r).map(([key, label, value]) =>
      h("tr", { "data-field": key }, h("th", {}, label), h("td", { class: "mono" }, value ?? "—"))));
}

function table(id, headings, rows) {
  return h("table", { id },
    h("tr", {}, headings.map((x) => h("th", {}, x))),
    rows);
}

// --- the project's contracts: names, decoded calls, logs and errors (/explorer/contracts.json) -

let contractsPromise = null;
const contracts = () => (contractsPromise ??= fetch("/explorer/contracts.json").then((r) => r.json()).then(namePredeploys));

const words = (hexData) => (hexData.replace(/^0x/, "").match(/.{64}/g) || []);

// One ABI value from its 32-byte word (static types) or from the data it points to (string, bytes).
function decodeValue(type, word, body) {
  if (type === "address") return "0x" + word.slice(24);
  if (type === "bool") return BigInt("0x" + word) !== 0n ? "true" : "false";
  if (/^uint\d*$/.test(type)) return BigInt("0x" + word).toString();
  if (/^int\d*$/.test(type)) return BigInt.asIntN(256, BigInt("0x" + word)).toString();
  if (/^bytes\d+$/.test(type)) return "0x" + word.slice(0, Number(type.slice(5)) * 2);
  if ((type === "string" || type === "bytes") && body != null) {
    const start = Number(BigInt("0x" + word)) * 2;
    const length = Number(BigInt("0x" + body.slice(start, start + 64)));
    const bytes = body.slice(start + 64, start + 64 + length * 2);
    if (type === "bytes") return "0x" + bytes;
    return new TextDecoder().decode(Uint8Array.from(bytes.match(/.{2}/g) || [], (b) => parseInt(b, 16)));
  }
  return `(${type}, not decoded)`;
}

// Arguments ABI-encoded in `data` (no selector), as [name, type, value] rows: fully decoded
// (arrays, tuples, strings); data too short for that falls back to one word per argument.
function decodeArgs(inputs, data) {
  try {
    const values = decodeAbi(inputs.map((input) => abiParam(input.type, input.name)), data);
    return inputs.map((input, i) => [input.name || `arg${i}`, input.type, formatValue(values[i])]);
  } catch {
    const body = data.replace(/^0x/, "");
    const slots = words(body);
    return inputs.map((input, i) => [input.name || `arg${i}`, input.type,
      slots[i] == null ? "(missing)" : decodeValue(input.type, slots[i], body)]);
  }
}

// An ABI parameter from a canonical type string: "(uint256,address)[]" is a tuple array.
function abiParam(type, name = "") {
  if (!type.startsWith("(")) return { name, type };
  let depth = 0, close = 0;
  for (let i = 0; i < type.length; i++) {
    if (type[i] === "(") depth++;
    else if (type[i] === ")" && --depth === 0) { close = i; break; }
  }
  const parts = [];
  let start = 1;
  depth = 0;
  for (let i = 1; i < close; i++) {
    if (type[i] === "(") depth++;
    else if (type[i] === ")") depth--;
    else if (type[i] === "," && depth === 0) { parts.push(type.slice(start, i)); start = i + 1; }
  }
  if (close > 1) parts.push(type.slice(start, close));
  return { name, type: "tuple" + type.slice(close + 1), components: parts.map((part) => abiParam(part)) };
}

function formatValue(value) {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (value && typeof value === "object") return `(${Object.entries(value).map(([k, v]) => (/^\d+$/.test(k) ? "" : `${k}=`) + formatValue(v)).join(", ")})`;
  return String(value);
}


// Full ABI decoding of `params` (ABI items: name, type, components) from `data`: tuples become
// objects by component name, arrays lists, numbers decimal strings (enums too: see enumName).
function decodeAbi(params, data) {
  return decodeSequence(params, data.replace(/^0x/, ""), 0);
}

const arrayOf = (type) => type.match(/^(.*)\[(\d*)\]$/);

function isDynamic(p) {
  if (p.type === "string" || p.type === "bytes") return true;
  const array = arrayOf(p.type);
  if (array) return array[2] === "" || isDynamic({ ...p, type: array[1] });
  if (p.type === "tuple") return p.components.some(isDynamic);
  return false;
}

function headWords(p) {
  if (isDynamic(p)) return 1;
  const array = arrayOf(p.type);
  if (array) return Number(array[2]) * headWords({ ...p, type: array[1] });
  if (p.type === "tuple") return p.components.reduce((sum, c) => sum + headWords(c), 0);
  return 1;
}

function decodeSequence(params, body, start) {
  let at = start;
  return params.map((p) => {
    const value = isDynamic(p) ? decodeIn(p, body, start + Number(BigInt("0x" + body.slice(at, at + 64))) * 2) : decodeIn(p, body, at);
    at += headWords(p) * 64;
    return value;
  });
}

function decodeIn(p, body, at) {
  const array = arrayOf(p.type);
  if (array) {
    const element = { ...p, type: array[1] };
    const length = array[2] === "" ? Number(BigInt("0x" + body.slice(at, at + 64))) : Number(array[2]);
    const first = array[2] === "" ? at + 64 : at;
    return decodeSequence(Array(length).fill(element), body, first);
  }
  if (p.type === "tuple") {
    const values = decodeSequence(p.components, body, at);
    return Object.fromEntries(p.components.map((c, i) => [c.name || String(i), values[i]]));
  }
  if (p.type === "string" || p.type === "bytes") {
    const length = Number(BigInt("0x" + body.slice(at, at + 64)));
    const bytes = body.slice(at + 64, at + 64 + length * 2);
    if (p.type === "bytes") return "0x" + bytes;
    return new TextDecoder().decode(Uint8Array.from(bytes.match(/.{2}/g) || [], (b) => parseInt(b, 16)));
  }
  return decodeValue(p.type, body.slice(at, at + 64), null);
}

// The member name of an enum value, with the names contracts.json reads from the sources.
function enumName(index, enumType, value) {
  const names = index.enums?.[enumType];
  return names && names[Number(value)] != null ? names[Number(value)] : String(value);
}

function decodeLog(index, log) {
  const event = index.events[log.topics[0]];
  if (!event) return null;
  const indexed = event.inputs.filter((x) => x.indexed);
  const plain = event.inputs.filter((x) => !x.indexed);
  const fromTopics = indexed.map((input, i) => [input.name, input.type,
    ["string", "bytes"].includes(input.type) || input.type.includes("[") || input.type.startsWith("(")
      ? `${log.topics[i + 1]} (hash)` : decodeValue(input.type, (log.topics[i + 1] || "0x").slice(2), null)]);
  return { name: event.signature, args: [...fromTopics, ...decodeArgs(plain, log.data)] };
}

function decodeCall(index, input) {
  const call = input && input.length >= 10 ? index.functions[input.slice(0, 10)] : null;
  return call ? { name: call.signature, args: decodeArgs(call.inputs, "0x" + input.slice(10)) } : null;
}

function decodeError(index, output) {
  const error = output && output.length >= 10 ? index.errors[output.slice(0, 10)] : null;
  if (!error) return null;
  return `${error.name}(${decodeArgs(error.inputs, "0x" + output.slice(10)).map(([n, , v]) => `${n}=${v}`).join(", ")})`;
}

const argsTable = (decoded) => h("div", { class: "decoded" }, h("div", {}, h("b", {}, decoded.name)),
  h("table", {}, decoded.args.map(([name, type, value]) =>
    h("tr", { "data-arg": name }, h("td", {}, name), h("td", {}, type), h("td", { class: "mono" }, value)))));

const contractName = (index, address) => (address ? index.contracts[address.toLowerCase()] : undefined);

// --- pages ----------------------------------------------------------------------------------

const main = () => document.getElementById("page");
let renderToken = 0;

function show(page, ...content) {
  const root = main();
  root.replaceChildren(...content.flat(Infinity).filter((c) => c != null));
  root.dataset.page = page;
  root.dataset.ready = "1";
}

function notFound(what) {
  show("notfound", h("h1", {}, "Not found"), h("p", { class: "error", id: "not-found" }, what));
}

async function heads() {
  try {
    const status = await rpc("lantau_syncStatus");
    return ["unsafe", "safe", "finalized"].map((name) => {
      const ref = status[`${name}_l2`];
      return { name, number: ref.number, hash: ref.hash, l1: ref.l1origin.number };
    });
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    // a node without an L1 has no syncStatus: the block tags still name its heads
    const blocks = await rpcBatch(["latest", "safe", "finalized"].map((tag) => ["eth_getBlockByNumber", tag, false]));
    return ["unsafe", "safe", "finalized"].map((name, i) => {
      const block = blocks[i] instanceof Error ? null : blocks[i];
      return { name, number: block ? num(block.number) : null, hash: block?.hash, l1: null };
    });
  }
}

function gasChart(blocks) {
  const ordered = [...blocks].reverse();
  const width = 600, height = 120, bar = width / Math.max(ordered.length, 1);
  const max = Math.max(1, ...ordered.map((b) => num(b.gasUsed)));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 14}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("id", "gas-chart");
  ordered.forEach((b, i) => {
    const used = num(b.gasUsed);
    const rect = document.createElementNS(svg.namespaceURI, "rect");
    const tall = Math.max(1, (used / max) * height);
    rect.setAttribute("x", i * bar + 1); rect.setAttribute("width", bar - 2);
    rect.setAttribute("y", height - tall); rect.setAttribute("height", tall);
    const title = document.createElementNS(svg.namespaceURI, "title");
    title.textContent = `block ${num(b.number)}: ${used} gas, ${b.transactions.length} txs`;
    rect.append(title);
    svg.append(rect);
  });
  const label = document.createElementNS(svg.namespaceURI, "text");
  label.setAttribute("x", 0); label.setAttribute("y", height + 12);
  label.textContent = `gas used per block, blocks ${num(ordered[0]?.number ?? "0x0")}–${num(ordered.at(-1)?.number ?? "0x0")} (max ${max})`;
  svg.append(label);
  return svg;
}

async function homePage(token) {
  const [headRows, [pool, head]] = await Promise.all([heads(), rpcBatch([["txpool_status"], ["eth_blockNumber"]])]);
  const top = num(head);
  const numbers = [];
  for (let n = top; n >= 0 && numbers.length < LATEST_BLOCKS; n--) numbers.push(n);
  const blocks = (await rpcBatch(numbers.map((n) => ["eth_getBlockByNumber", hex(n), true]))).filter((b) => b && !(b instanceof Error));
  if (token !== renderToken) return;
  const txs = blocks.flatMap((b) => b.transactions).slice(0, LATEST_TXS);
  // throughput over the listed blocks after the first (its transactions came before the span);
  // genesis (timestamp 0 on the devnet) is left out
  const timed = blocks.filter((b) => num(b.number) > 0);
  const blockSeconds = timed.length > 1 ? num(timed[0].timestamp) - num(timed.at(-1).timestamp) : 0;
  const txCount = timed.slice(0, -1).reduce((sum, b) => sum + b.transactions.length, 0);
  show("home",
    h("h1", {}, "Chain"),
    h("div", { class: "grid" },
      h("div", {},
        h("h2", {}, "Heads"),
        table("heads", ["Head", "L2 block", "Hash", "L1 origin"], headRows.map((r) =>
          h("tr", { "data-head": r.name }, h("td", {}, r.name),
            h("td", { class: "number" }, r.number == null ? "—" : blockLink(r.number)),
            h("td", { class: "mono" }, r.hash ? short(r.hash) : "—"),
            h("td", { class: "mono" }, r.l1 == null ? "— (no L1)" : String(r.l1)))))),
      h("div", {},
        h("h2", {}, "Activity"),
        fields([
          ["pool", "Pool (pending / queued)", pool instanceof Error ? "—" : `${num(pool.pending)} / ${num(pool.queued)}`],
          ["throughput", `Throughput (last ${timed.length} blocks)`, blockSeconds > 0 ? `${(txCount / blockSeconds).toFixed(2)} tx/s` : `${txCount} txs`],
        ]),
        gasChart(blocks))),
    h("h2", {}, "Latest blocks"),
    table("latest-blocks", ["Block", "Hash", "Time", "Txs", "Gas used"], blocks.slice(0, 10).map((b) =>
      h("tr", { "data-block": num(b.number) }, h("td", {}, blockLink(num(b.number))), h("td", { class: "mono" }, short(b.hash)),
        h("td", {}, time(b.timestamp)), h("td", {}, b.transactions.length), h("td", {}, num(b.gasUsed))))),
    h("h2", {}, "Latest transactions"),
    table("latest-txs", ["Hash", "Block", "Type", "From", "To", "Value"], txs.map((t) =>
      h("tr", { "data-tx": t.hash }, h("td", {}, txLink(t.hash)), h("td", {}, blockLink(num(t.blockNumber))), h("td", {}, t.type),
        h("td", {}, addressLink(t.from)), h("td", {}, addressLink(t.to)), h("td", {}, hkd(t.value))))));
}

async function blockPage(token, id) {
  const block = /^0x[0-9a-fA-F]{64}$/.test(id)
    ? await rpc("eth_getBlockByHash", id, true)
    : await rpc("eth_getBlockByNumber", hex(BigInt(id)), true);
  if (token !== renderToken) return;
  if (!block) return notFound(`no block ${id}`);
  const n = num(block.number);
  show("block",
    h("h1", {}, `Block ${n}`),
    fields([
      ["number", "Number", String(n)],
      ["hash", "Hash", block.hash],
      ["parentHash", "Parent", n > 0 ? link(`#/block/${block.parentHash}`, block.parentHash) : block.parentHash],
      ["timestamp", "Time", `${time(block.timestamp)} (${num(block.timestamp)})`],
      ["transactions", "Transactions", String(block.transactions.length)],
      ["gasUsed", "Gas used", String(num(block.gasUsed))],
      ["gasLimit", "Gas limit", String(num(block.gasLimit))],
      block.baseFeePerGas && ["baseFeePerGas", "Base fee", `${num(block.baseFeePerGas)} wei`],
      ["miner", "Fee recipient", addressLink(block.miner, true)],
      ["stateRoot", "State root", block.stateRoot],
      ["receiptsRoot", "Receipts root", block.receiptsRoot],
      ["size", "Size", `${num(block.size)} bytes`],
    ]),
    h("p", {}, n > 0 ? link(`#/block/${n - 1}`, "← previous") : null, " ", link(`#/block/${n + 1}`, "next →")),
    h("h2", {}, "Transactions"),
    table("block-txs", ["#", "Hash", "Type", "From", "To", "Value"], block.transactions.map((t) =>
      h("tr", { "data-tx": t.hash }, h("td", {}, num(t.transactionIndex)), h("td", {}, txLink(t.hash)), h("td", {}, t.type),
        h("td", {}, addressLink(t.from)), h("td", {}, addressLink(t.to)), h("td", {}, hkd(t.value))))));
}

// The transaction's call tree (debug_traceTransaction, callTracer), or the error that stopped it.
async function callTree(hash) {
  try {
    return await rpc("debug_traceTransaction", hash, { tracer: "callTracer" });
  } catch (error) {
    return error;
  }
}

function revertReason(index, frame) {
  if (frame instanceof Error) return `reverted (reason unavailable: ${frame.message})`;
  return frame.revertReason || decodeError(index, frame.output) || frame.error || "reverted (no reason given)";
}

// An RWA transfer refused by compliance: the innermost frame that reverted with
// TransferNotCompliant(code, reason), as [code, reason].
function complianceRefusal(index, frame) {
  if (!frame || frame instanceof Error) return null;
  for (const call of frame.calls || []) {
    const inner = complianceRefusal(index, call);
    if (inner) return inner;
  }
  const error = frame.output && frame.error ? index.errors[frame.output.slice(0, 10)] : null;
  if (error?.signature !== "TransferNotCompliant(uint8,string)") return null;
  return decodeAbi(error.inputs, "0x" + frame.output.slice(10));
}

function callTreeView(index, frame, depth = 0) {
  const call = decodeCall(index, frame.input);
  const name = contractName(index, frame.to);
  return h("li", { "data-depth": depth, class: frame.error ? "error" : null },
    h("span", { class: "mono" }, `${frame.type} `, addressLink(frame.to), name ? ` (${name})` : "",
      call ? ` ${call.name.split("(")[0]}(${call.args.map(([n, , v]) => `${n}=${short(v)}`).join(", ")})` : frame.input?.length > 2 ? ` ${frame.input.slice(0, 10)}` : "",
      frame.value && frame.value !== "0x0" ? ` value ${hkd(frame.value)}` : "",
      ` gas ${num(frame.gasUsed)}`, frame.error ? ` — ${frame.error}${decodeError(index, frame.output) ? ": " + decodeError(index, frame.output) : ""}` : ""),
    frame.calls?.length ? h("ul", {}, frame.calls.map((c) => callTreeView(index, c, depth + 1))) : null);
}

async function txPage(token, hash) {
  const [[tx, receipt], index] = await Promise.all([
    rpcBatch([["eth_getTransactionByHash", hash], ["eth_getTransactionReceipt", hash]]), contracts()]);
  if (tx instanceof Error) throw tx;
  if (token !== renderToken) return;
  if (!tx) return notFound(`no transaction ${hash}`);
  const ok = receipt && !(receipt instanceof Error) ? receipt.status === "0x1" : null;
  const trace = tx.blockNumber ? await callTree(hash) : null;
  const reason = ok === false ? revertReason(index, trace) : null;
  const refusal = ok === false ? complianceRefusal(index, trace) : null;
  const call = decodeCall(index, tx.input);
  const named = (address) => {
    const name = contractName(index, address);
    return name ? [addressLink(address, true), ` (${name})`] : addressLink(address, true);
  };
  if (token !== renderToken) return;
  const isDeposit = tx.type === "0x7e";
  show("tx",
    h("h1", {}, isDeposit ? "Deposit transaction" : "Transaction"),
    fields([
      ["hash", "Hash", tx.hash],
      ["status", "Status", ok === null ? "pending" : h("span", { class: ok ? "ok" : "error" }, ok ? "success" : "reverted")],
      reason && ["revertReason", "Revert reason", h("span", { class: "error" }, reason)],
      refusal && ["compliance", "Compliance refusal", h("span", { class: "error" }, `code ${refusal[0]}: ${refusal[1]}`)],
      ["blockNumber", "Block", tx.blockNumber ? blockLink(num(tx.blockNumber)) : "pending"],
      ["transactionIndex", "Index", tx.transactionIndex ? String(num(tx.transactionIndex)) : "—"],
      ["type", "Type", tx.type],
      ["from", "From", addressLink(tx.from, true)],
      ["to", "To", tx.to ? named(tx.to) : "(contract creation)"],
      receipt?.contractAddress && ["contractAddress", "Created", addressLink(receipt.contractAddress, true)],
      ["value", "Value", hkd(tx.value)],
      ["nonce", "Nonce", String(num(tx.nonce))],
      ["gas", "Gas limit", String(num(tx.gas))],
      receipt && ["gasUsed", "Gas used", String(num(receipt.gasUsed))],
      receipt?.effectiveGasPrice && ["effectiveGasPrice", "Gas price", `${num(receipt.effectiveGasPrice)} wei`],
      call && ["call", "Call", h("div", { id: "decoded-call" }, argsTable(call))],
      ["input", "Input", tx.input === "0x" ? "0x" : h("pre", {}, tx.input)],
    ]),
    isDeposit ? [h("h2", {}, "Deposit"), h("div", { id: "deposit" }, fields([
      ["sourceHash", "Source hash", tx.sourceHash],
      ["mint", "Mint", hkd(tx.mint ?? "0x0")],
      ["isSystemTx", "System transaction", tx.isSystemTx ? "yes" : "no"],
    ]))] : null,
    h("h2", {}, "Call tree"),
    trace instanceof Error || !trace ? h("p", { id: "call-tree-missing" }, trace ? `no trace: ${trace.message}` : "pending: no trace yet")
      : h("ul", { id: "call-tree", class: "calls" }, callTreeView(index, trace)),
    h("h2", {}, `Logs (${receipt?.logs?.length ?? 0})`),
    table("logs", ["#", "Address", "Event", "Topics and data"], (receipt?.logs ?? []).map((log) => {
      const decoded = decodeLog(index, log);
      return h("tr", { "data-log": num(log.logIndex) }, h("td", {}, num(log.logIndex)), h("td", {}, named(log.address)),
        h("td", {}, decoded ? argsTable(decoded) : "(not a project event)"),
        h("td", { class: "mono" }, log.topics.map((t) => h("div", {}, t)), h("div", {}, log.data)));
    })));
}

async function addressPage(token, address) {
  const [balance, nonce, code, listed] = await rpcBatch([
    ["eth_getBalance", address, "latest"], ["eth_getTransactionCount", address, "latest"],
    ["eth_getCode", address, "latest"], ["lantau_getTransactionsByAddress", address, hex(ADDRESS_TXS)]]);
  for (const r of [balance, nonce, code, listed]) if (r instanceof Error) throw r;
  const txs = (await rpcBatch(listed.map((t) => ["eth_getTransactionByHash", t.hash]))).filter((t) => t && !(t instanceof Error));
  const index = await contracts();
  const [[verified], [category], [country], [expiry]] = await views(index, [
    [IDENTITY_REGISTRY, "isVerified(address)", word(address), ["bool"]],
    [IDENTITY_REGISTRY, "investorCategory(address)", word(address), ["uint8"]],
    [IDENTITY_REGISTRY, "investorCountry(address)", word(address), ["uint16"]],
    [IDENTITY_REGISTRY, "kycExpiryOf(address)", word(address), ["uint64"]]]);
  const assets = await assetList(index);
  const held = await views(index, assets.map((a) => [a.address, "balanceOf(address)", word(address), ["uint256"]]));
  const holdings = assets.map((a, i) => [a, held[i][0]]).filter(([, balance]) => /^\d+$/.test(balance) && balance !== "0");
  const transfers = await rwaTransfersOf(index, address, assets);
  if (token !== renderToken) return;
  const me = address.toLowerCase();
  const codeBytes = (code.length - 2) / 2;
  show("address",
    h("h1", {}, codeBytes ? "Contract" : "Account"),
    fields([
      ["address", "Address", address],
      ["balance", "Balance", hkd(balance)],
      ["nonce", "Nonce", String(num(nonce))],
      ["code", "Code", codeBytes ? h("details", {}, h("summary", {}, `${codeBytes} bytes`), h("pre", {}, code)) : "none (an account)"],
      contractName(index, address) && ["contract", "Predeploy", contractName(index, address)],
    ]),
    h("h2", {}, "KYC (IdentityRegistry)"),
    h("div", { id: "kyc" }, fields([
      ["verified", "Verified", verified],
      ["category", "Investor category", /^\d+$/.test(category) ? `${enumName(index, "InvestorCategory", category)} (${category})` : category],
      ["country", "Country (ISO 3166 numeric)", country],
      ["kycExpiry", "KYC expiry", expiry === "0" ? "—" : `${new Date(Number(expiry) * 1000).toISOString().slice(0, 10)} (${expiry})`],
    ])),
    h("h2", {}, `RWA holdings (${holdings.length}), valued at the PriceFeed's prices`),
    table("address-holdings", ["Asset", "Class", "Balance", "Price (HKD per token)", "Value (HKD)"], holdings.map(([a, balance]) =>
      h("tr", { "data-asset": a.address }, h("td", {}, link(`#/asset/${a.address}`, a.symbol)), h("td", {}, a.assetClass),
        h("td", { class: "balance" }, units(balance, a.decimals)), h("td", {}, a.price ? units(a.price.wei, 18) : "no price", staleFlag(a.price) ? [" ", staleFlag(a.price)] : null),
        h("td", { class: "value" }, a.price ? units(valueWei(a, balance), 18) : "—")))),
    h("p", { id: "holdings-total" }, `Total RWA value: ${hkdShort(holdings.reduce((sum, [a, balance]) => sum + (valueWei(a, balance) ?? 0n), 0n))}`
      + (holdings.some(([a]) => !a.price) ? " (assets without a price not counted)" : "")),
    h("h2", {}, `RWA transfers (${transfers.length}${transfers.length === ADDRESS_TXS ? ", newest" : ""}: mints, transfers, settlements, redemptions)`),
    table("address-transfers", ["Block", "Transaction", "Asset", "Direction", "Counterparty", "Amount"], transfers.map(({ log, asset, from, to, amount }) => {
      const out = from === me;
      return h("tr", { "data-log": `${log.transactionHash}:${num(log.logIndex)}` }, h("td", {}, blockLink(num(log.blockNumber))),
        h("td", {}, txLink(log.transactionHash)), h("td", {}, asset ? link(`#/asset/${asset.address}`, asset.symbol) : addressLink(log.address)),
        h("td", {}, out ? "out" : "in"), h("td", {}, addressLink(out ? to : from)),
        h("td", { class: "amount" }, asset ? units(amount, asset.decimals) : amount));
    })),
    h("h2", {}, `Transactions (${txs.length === ADDRESS_TXS ? `newest ${ADDRESS_TXS}` : txs.length}, from the node's address index)`),
    table("address-txs", ["Hash", "Block", "Direction", "Counterparty", "Value"], txs.map((t) => {
      const out = t.from?.toLowerCase() === me;
      return h("tr", { "data-tx": t.hash }, h("td", {}, txLink(t.hash)), h("td", {}, blockLink(num(t.blockNumber))),
        h("td", {}, out ? "out" : t.to ? "in" : "created"), h("td", {}, addressLink(out ? t.to : t.from)), h("td", {}, hkd(t.value)));
    })));
}

// The RWA tokens' Transfer logs to or from `address` (newest ADDRESS_TXS): what it received
// without sending a transaction (a mint, a DvP settlement, a forced transfer) shows here.
async function rwaTransfersOf(index, address, assets) {
  if (!assets.length) return [];
  const topic = Object.entries(index.events).find(([, e]) => e.signature === "Transfer(address,address,uint256)")[0];
  const party = "0x" + word(address);
  const addresses = assets.map((a) => a.address);
  const [sent, received] = await Promise.all([tokenLogs(addresses, [topic], [party]), tokenLogs(addresses, [topic], null, [party])]);
  const byAddress = Object.fromEntries(assets.map((a) => [a.address.toLowerCase(), a]));
  const seen = new Set();
  return [...sent, ...received]
    .filter((log) => !seen.has(`${log.transactionHash}:${log.logIndex}`) && seen.add(`${log.transactionHash}:${log.logIndex}`))
    .sort((x, y) => num(y.blockNumber) - num(x.blockNumber) || num(y.logIndex) - num(x.logIndex))
    .slice(0, ADDRESS_TXS)
    .map((log) => ({ log, asset: byAddress[log.address.toLowerCase()], from: "0x" + log.topics[1].slice(26), to: "0x" + log.topics[2].slice(26),
      amount: BigInt(log.data).toString() }));
}

// Where a search term leads: an address, a transaction or block hash, an asset by symbol or
// identifier, a block number. An asset comes before a block number: an HKEX stock code ("0005") is
// digits too.
async function resolveSearch(term) {
  const q = term.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return `#/address/${q}`;
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    const [tx, block] = await rpcBatch([["eth_getTransactionByHash", q], ["eth_getBlockByHash", q, false]]);
    if (tx && !(tx instanceof Error)) return `#/tx/${q}`;
    if (block && !(block instanceof Error)) return `#/block/${q}`;
    return null;
  }
  const asset = (await assetList(await contracts())).find((a) =>
    a.symbol.toLowerCase() === q.toLowerCase() || (a.identifier && a.identifier.toLowerCase() === q.toLowerCase()));
  if (asset) return `#/asset/${asset.address}`;
  return /^\d+$/.test(q) ? `#/block/${q}` : null;
}

async function searchPage(token, term) {
  const target = await resolveSearch(term);
  if (token !== renderToken) return;
  if (target) location.replace(target);
  else notFound(`nothing matches "${term}" (try a block number, a block or transaction hash, an address, an asset symbol or identifier)`);
}

// --- RWA: assets from the AssetFactory predeploy, holders from Transfer logs ------------------

// The RWA predeploys, by name from contracts.json (genesis/predeploys.py is their one home).
let ASSET_FACTORY, IDENTITY_REGISTRY, CORPORATE_ACTIONS, PRICE_FEED;

function namePredeploys(index) {
  const named = (name) => Object.entries(index.contracts).find(([, n]) => n === name)?.[0];
  [ASSET_FACTORY, IDENTITY_REGISTRY, CORPORATE_ACTIONS, PRICE_FEED] =
    ["AssetFactory", "IdentityRegistry", "CorporateActions", "PriceFeed"].map(named);
  return index;
}
const MAX_DISTRIBUTIONS = 200;
const LOG_RANGE = 5000; // blocks per eth_getLogs call (the node caps a call's range)
const MAX_ASSETS = 100;

const word = (n) => BigInt(n).toString(16).padStart(64, "0");

function selector(index, signature) {
  const found = Object.entries(index.functions).find(([, f]) => f.signature === signature);
  if (!found) throw new Error(`no function ${signature} in the artifacts`);
  return found[0];
}

// View calls [to, signature, argument words, output types] at latest; each answer as its decoded
// outputs (or the error text). Without output types, the function's ABI outputs decode it (tuples
// as objects).
async function views(index, calls) {
  const answers = await rpcBatch(calls.map(([to, signature, args]) =>
    ["eth_call", { to, data: selector(index, signature) + (args || "") }, "latest"]));
  return answers.map((answer, i) => {
    if (answer instanceof Error) return [answer.message];
    const [, signature, , types] = calls[i];
    const outputs = types ? types.map((type) => ({ type })) : index.functions[selector(index, signature)].outputs;
    try {
      return decodeAbi(outputs, answer);
    } catch (error) {
      return [`undecodable answer: ${error.message}`];
    }
  });
}

// A string argument, ABI-encoded as the only dynamic argument after `staticWords` static ones.
function stringArg(text, staticWords = 0) {
  const bytes = Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
  return word((staticWords + 1) * 32) + word(bytes.length / 2) + bytes.padEnd(Math.ceil(bytes.length / 64) * 64, "0");
}

async function assetList(index) {
  const [[count]] = await views(index, [[ASSET_FACTORY, "assetCount()", "", ["uint256"]]]);
  const n = Math.min(Number(count) || 0, MAX_ASSETS);
  const addresses = (await views(index, Array.from({ length: n }, (_, i) => [ASSET_FACTORY, "assets(uint256)", word(i), ["address"]])))
    .map(([address]) => address);
  const info = await views(index, addresses.flatMap((a) => [
    [a, "symbol()", "", ["string"]], [a, "name()", "", ["string"]], [a, "decimals()", "", ["uint8"]],
    [a, "totalSupply()", "", ["uint256"]], [a, "holderCount()", "", ["uint256"]], [a, "assetInfo()", ""]]));
  const prices = await feedPrices(index, addresses);
  return addresses.map((address, i) => {
    const [symbol, name, decimals, supply, holders, meta] = info.slice(i * 6, i * 6 + 6);
    const metadata = typeof meta[0] === "object" ? meta[0] : null;
    return {
      address, symbol: symbol[0], name: name[0], decimals: Number(decimals[0]), supply: supply[0], holders: holders[0],
      assetClass: metadata ? enumName(index, "AssetClass", metadata.assetClass) : "—",
      classNumber: metadata ? Number(metadata.assetClass) : 99, identifier: metadata?.identifier ?? "", metadata,
      price: prices[i],
    };
  });
}

// Each asset's PriceFeed price: { wei (HKD wei per whole token), updatedAt, stale }, null when the
// feed has none. Whether it is stale is the feed's own rule, asked of it: `latestPrice` reverts
// StalePrice(asset, updatedAt, maxAge, now) past the asset's maximum age; stale is then { maxAge }.
async function feedPrices(index, assets) {
  const answers = await rpcBatch(assets.flatMap((a) => [
    ["eth_call", { to: PRICE_FEED, data: selector(index, "latestPriceUnchecked(address)") + word(a) }, "latest"],
    ["eth_call", { to: PRICE_FEED, data: selector(index, "latestPrice(address)") + word(a) }, "latest"]]));
  return assets.map((_, i) => {
    const [unchecked, checked] = answers.slice(2 * i, 2 * i + 2);
    if (unchecked instanceof Error) return null;
    const [wei, updatedAt] = decodeAbi([{ type: "uint256" }, { type: "uint64" }], unchecked);
    if (wei === "0") return null;
    const refusal = checked instanceof Error && typeof checked.data === "string" ? checked.data : "";
    const error = refusal.length >= 10 ? index.errors[refusal.slice(0, 10)] : null;
    const stale = error?.signature === "StalePrice(address,uint64,uint64,uint256)"
      ? { maxAge: Number(decodeAbi(error.inputs, "0x" + refusal.slice(10))[2]) }
      : null;
    return { wei, updatedAt: Number(updatedAt), stale };
  });
}

// The flag shown beside a price the feed would refuse as stale.
const staleFlag = (price) => (price?.stale
  ? h("span", { class: "stale" }, `stale: reported ${dateOf(price.updatedAt)}, older than the feed's maximum age of ${price.stale.maxAge} s`)
  : null);

// HKD wei that `amount` units of an asset are worth at its price (null without a price).
function valueWei(asset, amount) {
  return asset.price ? (BigInt(amount) * BigInt(asset.price.wei)) / 10n ** BigInt(asset.decimals) : null;
}

function units(amount, decimals) {
  const value = BigInt(amount), scale = 10n ** BigInt(decimals);
  const fraction = (value % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${value / scale}${fraction ? "." + fraction : ""}`;
}

async function rwaPage(token) {
  const index = await contracts();
  const assets = (await assetList(index)).sort((x, y) => x.classNumber - y.classNumber || x.symbol.localeCompare(y.symbol));
  const trail = await complianceTrail(index, assets);
  const symbolOf = Object.fromEntries(assets.map((a) => [a.address.toLowerCase(), a.symbol]));
  if (token !== renderToken) return;
  show("rwa",
    h("h1", {}, "Real-world assets"),
    h("p", {}, `${assets.length} assets issued through the AssetFactory (${ASSET_FACTORY}), by class`),
    table("rwa-assets", ["Class", "Symbol", "Identifier", "Name", "Token", "Total supply", "Holders", "Price (HKD per token)", "Price status", "Market value"],
      assets.map((a) => h("tr", { "data-asset": a.address, "data-class": a.assetClass }, h("td", { class: "class" }, a.assetClass),
        h("td", {}, link(`#/asset/${a.address}`, a.symbol)), h("td", { class: "identifier" }, a.identifier), h("td", {}, a.name),
        h("td", {}, addressLink(a.address)), h("td", {}, units(a.supply, a.decimals)), h("td", {}, a.holders),
        h("td", { class: "price" }, a.price ? units(a.price.wei, 18) : "—"), h("td", { class: "price-state" }, staleFlag(a.price) ?? (a.price ? "current" : "—")),
        h("td", {}, a.price ? hkdShort(valueWei(a, a.supply)) : "—")))),
    h("h2", {}, `Compliance audit trail, every asset (newest ${trail.length}: freezes, forced transfers, recoveries, pauses)`),
    table("compliance-trail", ["Block", "Transaction", "Asset", "Event"], trail.map(({ log, event }) =>
      h("tr", { "data-log": `${log.transactionHash}:${num(log.logIndex)}` }, h("td", {}, blockLink(num(log.blockNumber))),
        h("td", {}, txLink(log.transactionHash)), h("td", {}, link(`#/asset/${log.address}`, symbolOf[log.address.toLowerCase()] ?? log.address)),
        h("td", { class: "event" }, event ? argsTable(event) : log.topics[0])))),
    h("p", {}, "Transfers compliance refused leave no log: each asset's page lists them from the node's address index."));
}

// "1234.5 HKD" without the wei: for tables of values.
const hkdShort = (wei) => `${units(wei, 18)} HKD`;

// The logs of `address` (one address or a list), optionally only those matching `topics` (per position,
// a list of alternatives or null for any),
// over the whole chain in ranges the node's eth_getLogs cap allows.
async function tokenLogs(address, ...topics) {
  const head = num(await rpc("eth_blockNumber"));
  const ranges = [];
  for (let from = 0; from <= head; from += LOG_RANGE) ranges.push([from, Math.min(head, from + LOG_RANGE - 1)]);
  const answers = await rpcBatch(ranges.map(([from, to]) =>
    ["eth_getLogs", { address, fromBlock: hex(from), toBlock: hex(to), ...(topics.length ? { topics } : {}) }]));
  return answers.flatMap((answer) => { if (answer instanceof Error) throw answer; return answer; });
}

// What compliance staff follow across every asset: freezes, forced transfers, recoveries, pauses.
const COMPLIANCE_EVENTS = ["AddressFrozen", "TokensFrozen", "TokensUnfrozen", "ForcedTransfer", "RecoverySuccess", "Paused", "Unpaused"];
const AUDIT_TRAIL_ROWS = 50;

async function complianceTrail(index, assets) {
  if (!assets.length) return [];
  const topics = Object.entries(index.events).filter(([, e]) => COMPLIANCE_EVENTS.includes(e.name)).map(([topic]) => topic);
  const logs = await tokenLogs(assets.map((a) => a.address), topics);  // topic 0: any of these events
  return logs.slice(-AUDIT_TRAIL_ROWS).reverse().map((log) => ({ log, event: decodeLog(index, log) }));
}

const dateOf = (seconds) => (Number(seconds) ? new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z") : "—");

// The distributions (coupons, dividends, revenue shares) CorporateActions holds for `asset`, newest first.
async function distributionsOf(index, asset) {
  const [[count]] = await views(index, [[CORPORATE_ACTIONS, "distributionCount()", "", ["uint256"]]]);
  const total = Number(count) || 0;
  const ids = Array.from({ length: Math.min(total, MAX_DISTRIBUTIONS) }, (_, i) => total - i);
  const answers = await views(index, ids.map((id) => [CORPORATE_ACTIONS, "distribution(uint256)", word(id)]));
  return ids.map((id, i) => ({ id, ...answers[i][0] })).filter((d) => d.token?.toLowerCase() === asset.toLowerCase());
}

// Transactions to `asset` that compliance refused (TransferNotCompliant), newest first: from the
// node's address index, their receipts, and the call trees of the failed ones.
async function refusalsOf(index, asset) {
  const listed = await rpc("lantau_getTransactionsByAddress", asset, hex(REFUSALS_SCANNED));
  const receipts = await rpcBatch(listed.map((t) => ["eth_getTransactionReceipt", t.hash]));
  const failed = receipts.filter((r) => r && !(r instanceof Error) && r.status === "0x0");
  const traces = await rpcBatch(failed.map((r) => ["debug_traceTransaction", r.transactionHash, { tracer: "callTracer" }]));
  return failed.map((r, i) => [r, complianceRefusal(index, traces[i])]).filter(([, refusal]) => refusal)
    .map(([r, [code, reason]]) => ({ hash: r.transactionHash, block: num(r.blockNumber), from: r.from, code, reason }));
}

async function assetPage(token, address) {
  const index = await contracts();
  const [[symbol], [name], [decimalsText], [supply], [holderCount], [paused], [meta], [bond], [redemption]] = await views(index, [
    [address, "symbol()", "", ["string"]], [address, "name()", "", ["string"]], [address, "decimals()", "", ["uint8"]],
    [address, "totalSupply()", "", ["uint256"]], [address, "holderCount()", "", ["uint256"]], [address, "paused()", "", ["bool"]],
    [address, "assetInfo()", ""], [address, "bondTerms()", ""], [CORPORATE_ACTIONS, "redemption(address)", word(address)]]);
  if (typeof meta !== "object") return notFound(`${address} is not an asset of the AssetFactory (${symbol})`);
  const decimals = Number(decimalsText);
  const [price] = await feedPrices(index, [address]);
  const asset = { decimals, price };
  const [logs, distributions, refusals] = await Promise.all([tokenLogs(address), distributionsOf(index, address), refusalsOf(index, address)]);
  const decoded = logs.map((log) => ({ log, event: decodeLog(index, log) }));
  const seen = new Set();
  for (const { event } of decoded) {
    if (event?.name !== "Transfer(address,address,uint256)") continue;
    for (const [, , party] of event.args.slice(0, 2)) if (!/^0x0{40}$/.test(party)) seen.add(party);
  }
  const parties = [...seen];
  const balances = await views(index, parties.map((p) => [address, "balanceOf(address)", word(p), ["uint256"]]));
  const holders = parties.map((p, i) => [p, BigInt(balances[i][0])]).filter(([, b]) => b > 0n)
    .sort((x, y) => (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0));
  const trail = decoded.filter(({ event }) => !event || !/^(Transfer|Approval)\(/.test(event.name));
  const isBond = typeof bond === "object" && (bond.faceValuePerTokenWei !== "0" || bond.maturity !== "0");
  if (token !== renderToken) return;
  show("asset",
    h("h1", {}, `${symbol} — ${name}`),
    fields([
      ["address", "Token", address],
      ["symbol", "Symbol", symbol],
      ["class", "Class", enumName(index, "AssetClass", meta.assetClass)],
      ["identifier", "Identifier", meta.identifier],
      ["issuerName", "Issuer", meta.issuerName],
      ["currency", "Currency", meta.currency],
      ["documentHash", "Offering document hash", meta.documentHash],
      ["totalSupply", "Total supply", units(supply, decimals)],
      ["holderCount", "Holders (investors)", holderCount],
      ["paused", "Paused", paused],
      ["price", "Price (PriceFeed)", asset.price ? `${units(asset.price.wei, 18)} HKD per token, reported ${dateOf(asset.price.updatedAt)}` : "no price reported"],
      asset.price?.stale && ["priceState", "Price status", staleFlag(asset.price)],
    ]),
    isBond ? [h("h2", {}, "Bond terms"), h("div", { id: "bond-terms" }, fields([
      ["faceValue", "Face value per token", hkdShort(bond.faceValuePerTokenWei)],
      ["couponRate", "Coupon rate", `${Number(bond.couponRatePpm) / 10000}% a year (${bond.couponRatePpm} ppm)`],
      ["couponsPerYear", "Coupons per year", bond.couponsPerYear],
      ["maturity", "Maturity", dateOf(bond.maturity)],
      ["couponDates", "Coupon dates", bond.couponDates.map(dateOf).join(", ") || "—"],
      ["redemption", "Redemption (funded / paid / units redeemed)", typeof redemption === "object"
        ? `${hkdShort(redemption.fundedWei)} / ${hkdShort(redemption.paidWei)} / ${units(redemption.redeemedUnits, decimals)}` : String(redemption)],
    ]))] : null,
    h("h2", {}, `Corporate actions (${distributions.length})`),
    table("distributions", ["#", "Kind", "Record date", "Pay date", "Claim deadline", "Amount", "Paid", "Remaining", "State"],
      distributions.map((d) => h("tr", { "data-distribution": d.id }, h("td", {}, d.id), h("td", {}, enumName(index, "DistributionKind", d.kind)),
        h("td", { class: "record" }, dateOf(d.recordTime)), h("td", {}, dateOf(d.payTime)), h("td", {}, dateOf(d.claimDeadline)),
        h("td", { class: "amount" }, hkdShort(d.amountWei)), h("td", { class: "paid" }, hkdShort(d.paidWei)),
        h("td", { class: "remaining" }, hkdShort(BigInt(d.amountWei) - BigInt(d.paidWei))),
        h("td", {}, d.closed === "true" ? "closed" : "open")))),
    h("h2", {}, `Holders (${holders.length})`),
    table("asset-holders", ["Holder", "Balance", "Value (HKD)"], holders.map(([holder, balance]) =>
      h("tr", { "data-holder": holder }, h("td", {}, addressLink(holder, true)), h("td", { class: "balance" }, units(balance, decimals)),
        h("td", { class: "value" }, asset.price ? units(valueWei(asset, balance), 18) : "—")))),
    h("h2", {}, `Transfers refused by compliance (${refusals.length}, among the newest ${REFUSALS_SCANNED} transactions to the token)`),
    table("asset-refusals", ["Block", "Transaction", "From", "Code", "Reason"], refusals.map((r) =>
      h("tr", { "data-tx": r.hash }, h("td", {}, blockLink(r.block)), h("td", {}, txLink(r.hash)), h("td", {}, addressLink(r.from)),
        h("td", { class: "code" }, r.code), h("td", { class: "reason" }, r.reason)))),
    h("h2", {}, `Compliance and administration events (${trail.length})`),
    table("asset-events", ["Block", "Transaction", "Event"], trail.map(({ log, event }) =>
      h("tr", {}, h("td", {}, blockLink(num(log.blockNumber))), h("td", {}, txLink(log.transactionHash)),
        h("td", {}, event ? argsTable(event) : log.topics[0])))));
}

// --- rollup: the derivation's view of L1 and the output roots at the safe heads -------------

async function rollupPage(token) {
  let status;
  try {
    status = await rpc("lantau_syncStatus");
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    if (token === renderToken) show("rollup", h("h1", {}, "Rollup"), h("p", { id: "no-l1" }, "This node runs without an L1: no derivation, no output roots."));
    return;
  }
  const heads = ["finalized", "safe"].map((name) => [name, status[`${name}_l2`].number]);
  const outputs = await rpcBatch(heads.map(([, n]) => ["lantau_outputAtBlock", hex(n)]));
  const lists = await rpcBatch(ROLLUP_LISTS.map((list) => [list.method, hex(ROLLUP_ROWS)]));
  if (token !== renderToken) return;
  show("rollup",
    h("h1", {}, "Rollup"),
    h("h2", {}, "L1 as the derivation sees it"),
    table("l1-view", ["L1 block", "Number", "Hash", "Time"], ["current_l1", "head_l1", "safe_l1", "finalized_l1"].map((key) =>
      h("tr", { "data-l1": key }, h("td", {}, key.replace("_l1", "")), h("td", { class: "number" }, status[key].number),
        h("td", { class: "mono" }, short(status[key].hash)), h("td", {}, status[key].timestamp ? time(hex(status[key].timestamp)) : "—")))),
    h("h2", {}, "Output roots at the L2 heads (what the proposer posts to the L1 OutputOracle)"),
    table("outputs", ["Head", "L2 block", "Output root", "State root", "Withdrawal storage root"], heads.map(([name, n], i) => {
      const output = outputs[i];
      return h("tr", { "data-head": name }, h("td", {}, name), h("td", {}, blockLink(n)),
        ...(output instanceof Error ? [h("td", { class: "error" }, output.message), h("td"), h("td")]
          : [h("td", { class: "mono root" }, output.outputRoot), h("td", { class: "mono" }, output.stateRoot),
            h("td", { class: "mono" }, output.withdrawalStorageRoot)]));
    })),
    ROLLUP_LISTS.map((list, i) => rollupSection(list, lists[i])));
}

// The rollup page's L1 lists: each a page of `lantau_…(limit, before)` (bridge/rollup_view.py),
// newest first, with a link to the next (older) page at #/rollup/<name>/<cursor>.
const ROLLUP_LISTS = [
  { name: "batches", method: "lantau_l1Batches", title: "Batches posted to L1 (newest first, as this node's derivation read them)",
    draw: (rows) =>
      table("l1-batches", ["L1 block", "L1 transaction", "Kind", "Bytes", "Frames", "Channel: L2 blocks / txs", "Bytes per L2 tx"],
        rows.map((b) => h("tr", { "data-l1tx": b.l1TxHash }, h("td", {}, b.l1BlockNumber), h("td", { class: "mono" }, short(b.l1TxHash)),
          h("td", {}, b.kind), h("td", { class: "bytes" }, b.bytes), h("td", { class: "frames" }, b.frames.length),
          h("td", {}, b.channels.map((c) => h("div", {}, c.complete ? `${short(c.channel)}: ${c.l2Blocks} / ${c.l2Transactions}` : `${short(c.channel)}: incomplete`))),
          h("td", { class: "per-tx" }, b.channels.map((c) => h("div", {}, c.bytesPerL2Tx == null ? "—" : String(c.bytesPerL2Tx))))))) },
  { name: "outputs", method: "lantau_l1Outputs", title: "Output roots on L1 (OutputOracle)",
    draw: (rows) =>
      table("l1-outputs", ["Index", "L2 block", "Output root", "L1 block", "L1 transaction", "Posted (L1 time)", "Finalizes at", "State", "Dispute"],
        rows.map((o) => h("tr", { "data-output": o.index }, h("td", {}, o.index), h("td", {}, blockLink(o.l2BlockNumber)),
          h("td", { class: "mono root" }, short(o.outputRoot)), h("td", {}, o.l1BlockNumber), h("td", { class: "mono" }, short(o.l1TxHash)),
          h("td", {}, time(hex(o.l1Timestamp))), h("td", {}, time(hex(o.finalizesAt))),
          h("td", { class: "state" }, o.deleted ? "deleted (lost a dispute)" : o.finalized ? "finalized" : "in challenge period"),
          h("td", { class: "mono" }, o.disputeGame ? short(o.disputeGame) : "—")))) },
  { name: "disputes", method: "lantau_disputeGames", title: "Dispute games (DisputeGameFactory)",
    draw: (rows) => rows === null
      ? h("p", { id: "no-disputes" }, "This rollup has no dispute game.")
      : table("disputes", ["Game", "Output", "L2 block", "Root claim", "Status", "Claims", "Clock left", "Created by", "L1 transaction"],
        rows.map((g) => h("tr", { "data-game": g.game }, h("td", { class: "mono" }, short(g.game)), h("td", {}, g.outputIndex),
          h("td", {}, blockLink(g.l2BlockNumber)), h("td", { class: "mono" }, short(g.rootClaim)), h("td", { class: "status" }, g.status),
          h("td", {}, g.claims), h("td", {}, g.status === "IN_PROGRESS" ? `${g.clockLeftS} s` : `resolved ${time(hex(g.resolvedAt || 0))}`),
          h("td", {}, g.creator ? short(g.creator) : "—"), h("td", { class: "mono" }, g.l1TxHash ? short(g.l1TxHash) : "—")))) },
  { name: "deposits", method: "lantau_bridgeDeposits", title: "Deposits (L1 → L2)",
    draw: (rows) =>
      table("deposits", ["L1 block", "L1 transaction", "To", "Mint", "L2 transaction", "Stage"],
        rows.map((d) => h("tr", { "data-l1tx": d.l1TxHash }, h("td", {}, d.l1BlockNumber ?? "—"), h("td", { class: "mono" }, short(d.l1TxHash)),
          h("td", {}, addressLink(d.to)), h("td", {}, d.mint ? hkd(d.mint) : "—"),
          h("td", {}, d.l2TxHash ? txLink(d.l2TxHash) : "—"),
          h("td", { class: "stage" }, d.error ? `malformed: ${d.error}` : d.l2BlockNumber == null ? d.stage : [`${d.stage} (L2 block `, blockLink(d.l2BlockNumber), ")"])))) },
  { name: "withdrawals", method: "lantau_bridgeWithdrawals", title: "Withdrawals (L2 → L1)",
    draw: (rows) =>
      table("withdrawals", ["L2 block", "L2 transaction", "From", "To (L1)", "Value", "Withdrawal hash", "Stage"],
        rows.map((w) => h("tr", { "data-l2tx": w.l2TxHash }, h("td", {}, blockLink(w.l2BlockNumber)), h("td", {}, txLink(w.l2TxHash)),
          h("td", {}, addressLink(w.sender)), h("td", { class: "mono" }, short(w.target)), h("td", {}, hkd(w.value)),
          h("td", { class: "mono" }, short(w.withdrawalHash)),
          h("td", { class: "stage" }, w.stage === "proven" ? `proven, finalizable at ${time(hex(w.finalizableAt))}`
            : w.stage === "waiting for output" ? `waiting for output (latest output: L2 block ${w.latestOutputL2Block})` : w.stage)))) },
];

// A list's section: its table (or the call's error), for withdrawals the L2 blocks the page
// scanned, and a link to the older page when there is one.
function rollupSection(list, answer) {
  if (answer instanceof Error || answer === null) return section(list.title, answer, list.draw);
  const scanned = answer.scannedBlocks;
  return [section(list.title, answer.items, list.draw),
    scanned ? h("p", { class: "scan-bound", "data-list": list.name },
      `Scanned L2 blocks ${scanned.from} to ${scanned.to} (at most ${scanned.bound.toLocaleString("en")} blocks per page).`) : [],
    answer.next == null ? [] : h("p", {}, h("a", { class: "older", "data-list": list.name, href: `#/rollup/${list.name}/${answer.next}` }, "Older →"))];
}

async function rollupListPage(token, name, before) {
  const list = ROLLUP_LISTS.find((l) => l.name === name);
  const answer = await rpc(list.method, hex(ROLLUP_ROWS), hex(Number(before)));
  if (token !== renderToken) return;
  show("rollup-list", h("h1", {}, h("a", { href: "#/rollup" }, "Rollup"), ` · ${name}, older than ${before}`), rollupSection(list, answer));
}

const ROLLUP_ROWS = 20;

// A titled section: the table `draw` makes of an RPC answer, or that call's error.
function section(title, answer, draw) {
  return [h("h2", {}, title), answer instanceof Error ? h("p", { class: "error" }, answer.message) : draw(answer)];
}

// --- routing --------------------------------------------------------------------------------

const ROUTES = [
  [/^#?\/?$/, homePage],
  [/^#\/block\/(\d+|0x[0-9a-fA-F]{64})$/, blockPage],
  [/^#\/tx\/(0x[0-9a-fA-F]{64})$/, txPage],
  [/^#\/address\/(0x[0-9a-fA-F]{40})$/, addressPage],
  [/^#\/rwa$/, rwaPage],
  [/^#\/rollup$/, rollupPage],
  [/^#\/rollup\/(batches|outputs|disputes|deposits|withdrawals)\/(\d+)$/, rollupListPage],
  [/^#\/asset\/(0x[0-9a-fA-F]{40})$/, assetPage],
  [/^#\/search\/(.*)$/, (token, term) => searchPage(token, decodeURIComponent(term))],
];

async function render() {
  const token = ++renderToken;
  main().dataset.ready = "0";
  const route = ROUTES.find(([pattern]) => pattern.test(location.hash));
  if (!route) return notFound(`no page ${location.hash}`);
  const args = location.hash.match(route[0]).slice(1);
  try {
    await route[1](token, ...args);
  } catch (error) {
    if (token === renderToken) show("error", h("h1", {}, "Error"), h("p", { class: "error", id: "error" }, error.message));
  }
}

// --- live: newHeads over the WebSocket ------------------------------------------------------

let homeRefresh = null;

function onNewHead(header) {
  document.getElementById("live").textContent = `● live, head ${num(header.number)}`;
  const onHome = main().dataset.page === "home" && ROUTES[0][0].test(location.hash);
  if (!onHome || homeRefresh) return;
  const token = renderToken;
  homeRefresh = homePage(token).catch(() => {}).finally(() => { homeRefresh = null; });
}

function connectLive() {
  const status = document.getElementById("live");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`);
  ws.onopen = () => {
    status.textContent = "● live";
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "eth_subscription") onNewHead(message.params.result);
  };
  ws.onclose = () => {
    status.textContent = "○ disconnected, retrying";
    setTimeout(connectLive, 2000);
  };
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const term = document.getElementById("search-input").value.trim();
  if (term) location.hash = `#/search/${encodeURIComponent(term)}`;
});
window.addEventListener("hashchange", render);
render();
connectLive();
