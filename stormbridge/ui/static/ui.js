// The stormbridge Storm UI page: plain JavaScript over the /api/v1 JSON, no build step.
// Pages: "/" (cluster), "/topology.html?id=ID", "/component.html?id=COMP&topology_id=ID",
// the same URLs as Storm's own UI. Text from the API is only ever set with textContent.
"use strict";

(function () {
  const REFRESH_MS = 10000;
  const app = document.getElementById("app");
  const windowSelect = document.getElementById("window");
  const sysBox = document.getElementById("sys");
  const autoBox = document.getElementById("autorefresh");
  const updated = document.getElementById("updated");
  const params = new URLSearchParams(location.search);
  let busy = false;

  windowSelect.value = params.get("window") || ":all-time";
  sysBox.checked = params.get("sys") === "true";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function link(text, href) { return el("a", { href: href }, text); }

  // A logviewer link from the API (only http(s) URLs become links).
  function logLink(href) {
    return typeof href === "string" && /^https?:\/\//.test(href) ? link("worker.log", href) : "";
  }

  function statusSpan(status) { return el("span", { class: "status-" + status }, status); }

  // columns: [title, key or function(row), "num"|"err"|undefined]
  function table(id, columns, rows, empty) {
    if (!rows || rows.length === 0) return el("p", { id: id, class: "muted" }, empty || "None.");
    const head = el("tr", null, ...columns.map((c) => el("th", null, c[0])));
    const body = rows.map((row) => el("tr", null, ...columns.map((c) => {
      const value = typeof c[1] === "function" ? c[1](row) : row[c[1]];
      return el("td", c[2] ? { class: c[2] } : null, value === null || value === undefined ? "" : value);
    })));
    return el("table", { id: id }, el("thead", null, head), el("tbody", null, ...body));
  }

  function section(title, ...content) { return [el("h2", null, title), ...content]; }

  // --- the topology graph (Storm's "Show Visualization"), drawn as SVG -----------------------
  const SVG_NS = "http://www.w3.org/2000/svg";
  const NODE_W = 190, NODE_H = 70, COL_GAP = 130, ROW_GAP = 34, PAD = 24;

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      if (child instanceof Node) node.append(child);
      else node.textContent = String(child);
    }
    return node;
  }

  // Columns by longest path from the spouts (a cycle is cut after as many rounds as components).
  function graphLayout(graph) {
    const ids = Object.keys(graph).sort();
    const layer = Object.fromEntries(ids.map((id) => [id, 0]));
    for (let round = 0; round < ids.length; round++) {
      let changed = false;
      for (const id of ids) {
        if (graph[id][":type"] === "spout") continue;
        for (const input of graph[id][":inputs"] || []) {
          const from = input[":component"];
          if (from === id || !(from in layer)) continue;
          if (layer[from] + 1 > layer[id]) { layer[id] = layer[from] + 1; changed = true; }
        }
      }
      if (!changed) break;
    }
    const columns = [];
    for (const id of ids) (columns[layer[id]] = columns[layer[id]] || []).push(id);
    const pos = {};
    columns.forEach((column, c) => column.forEach((id, r) => {
      pos[id] = { x: PAD + c * (NODE_W + COL_GAP), y: PAD + r * (NODE_H + ROW_GAP), layer: c };
    }));
    const rows = Math.max(1, ...columns.map((column) => (column ? column.length : 0)));
    return {
      pos: pos,
      width: 2 * PAD + Math.max(1, columns.length) * (NODE_W + COL_GAP) - COL_GAP,
      height: 2 * PAD + rows * (NODE_H + ROW_GAP) - ROW_GAP + 30,
    };
  }

  function capacityClass(capacity) {
    if (capacity >= 0.8) return "cap-high";
    if (capacity >= 0.5) return "cap-mid";
    return "cap-low";
  }

  function rateText(rate, isBolt) {
    const value = Number(rate) || 0;
    return (value >= 100 ? value.toFixed(0) : value.toFixed(1)) + (isBolt ? " in/s" : " out/s");
  }

  function topologyGraph(graph) {
    const ids = Object.keys(graph);
    if (ids.length === 0) return el("p", { id: "topology-graph", class: "muted" }, "No component.");
    const layout = graphLayout(graph);
    const root = svg("svg", {
      id: "topology-graph", xmlns: SVG_NS, width: layout.width, height: layout.height,
      viewBox: "0 0 " + layout.width + " " + layout.height, role: "img",
      "aria-label": "topology graph",
    });
    root.append(svg("defs", null, svg("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8",
      markerHeight: "8", orient: "auto-start-reverse",
    }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }))));
    for (const id of ids.sort()) {
      for (const input of graph[id][":inputs"] || []) {
        const from = layout.pos[input[":component"]], to = layout.pos[id];
        if (!from || !to) continue;
        const x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2, x2 = to.x, y2 = to.y + NODE_H / 2;
        let d, lx, ly;
        if (to.layer > from.layer) {
          const bend = (x2 - x1) / 2;
          d = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
          lx = (x1 + x2) / 2; ly = (y1 + y2) / 2 - 6;
        } else {  // a loop back (or to itself): below the boxes
          const low = Math.max(from.y, to.y) + NODE_H + ROW_GAP * 0.8;
          d = `M ${from.x + NODE_W / 2} ${from.y + NODE_H} C ${from.x + NODE_W / 2} ${low}, ` +
            `${to.x + NODE_W / 2} ${low}, ${to.x + NODE_W / 2} ${to.y + NODE_H}`;
          lx = (from.x + to.x + NODE_W) / 2; ly = low - 4;
        }
        let grouping = input[":grouping"];
        if (input[":fields"]) grouping += "(" + input[":fields"].join(", ") + ")";
        const label = (input[":stream"] === "default" ? "" : input[":stream"] + ": ") + grouping;
        root.append(svg("g", { class: "edge", "data-from": input[":component"], "data-to": id },
          svg("path", { d: d, "marker-end": "url(#arrow)" }),
          svg("text", { x: lx, y: ly, "text-anchor": "middle" }, label)));
      }
    }
    for (const id of ids) {
      const c = graph[id], p = layout.pos[id];
      const isBolt = c[":type"] === "bolt";
      const capacity = Number(c[":capacity"]) || 0;
      const lines = [rateText(c[":rate"], isBolt)];
      if (isBolt) lines.push("capacity " + capacity.toFixed(3) + " · " + c[":latency"] + " ms");
      else lines.push("complete " + c[":latency"] + " ms");
      const group = svg("g", {
        class: "node " + c[":type"] + (isBolt ? " " + capacityClass(capacity) : ""),
        "data-component": id,
      },
      svg("title", null, id + " (" + c[":type"] + "): " + lines.join(", ")),
      svg("rect", { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: isBolt ? 16 : 3 }),
      svg("text", { x: p.x + NODE_W / 2, y: p.y + 22, "text-anchor": "middle", class: "name" }, id),
      svg("text", { x: p.x + NODE_W / 2, y: p.y + 42, "text-anchor": "middle", class: "rate" }, lines[0]),
      svg("text", { x: p.x + NODE_W / 2, y: p.y + 59, "text-anchor": "middle", class: "detail" }, lines[1]));
      const anchor = svg("a", { href: c[":link"] }, group);
      root.append(anchor);
    }
    return el("div", { class: "graph" }, root,
      el("p", { class: "muted legend" }, "Boxes: spouts; rounded: bolts, coloured by capacity " +
        "(green < 0.5, yellow < 0.8, red ≥ 0.8). Rates over the last 10 minutes: tuples a spout " +
        "sends (out/s), tuples a bolt executes (in/s); refreshed with the page."));
  }

  async function api(path, options) {
    const response = await fetch("/api/v1/" + path, options);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const message = body && (body.errorMessage || body.error);
      throw new Error(message || response.status + " " + response.statusText);
    }
    return body;
  }

  function statsQuery() {
    return "window=" + encodeURIComponent(windowSelect.value) + "&sys=" + sysBox.checked;
  }

  function topologyHref(id) { return "/topology.html?id=" + encodeURIComponent(id); }

  function componentHref(topologyId, componentId) {
    return "/component.html?id=" + encodeURIComponent(componentId) +
      "&topology_id=" + encodeURIComponent(topologyId);
  }

  function duration(secs) {
    const parts = [];
    let rest = Math.max(0, Math.floor(secs));
    for (const [unit, size] of [["s", 60], ["m", 60], ["h", 24], ["d", 0]]) {
      if (rest <= 0 && parts.length) break;
      parts.unshift((size ? rest % size : rest) + unit);
      rest = size ? Math.floor(rest / size) : 0;
    }
    return parts.slice(0, 2).join(" ");
  }

  function errorAge(row) {
    const secs = row.errorLapsedSecs;
    return secs === null || secs === undefined ? "" : duration(secs) + " ago";
  }

  async function clusterPage() {
    const [cluster, nimbus, supervisors, topologies] = await Promise.all([
      api("cluster/summary"), api("nimbus/summary"), api("supervisor/summary"), api("topology/summary"),
    ]);
    document.title = "Storm UI (stormbridge)";
    return [
      ...section("Cluster Summary", table("cluster-summary", [
        ["Version", "stormVersion"], ["Supervisors", "supervisors", "num"],
        ["Used slots", "slotsUsed", "num"], ["Free slots", "slotsFree", "num"],
        ["Total slots", "slotsTotal", "num"], ["Executors", "executorsTotal", "num"],
        ["Tasks", "tasksTotal", "num"], ["Topologies", "topologies", "num"],
      ], [cluster])),
      ...section("Nimbus Summary", table("nimbus-summary", [
        ["Host", "host"], ["Port", "port", "num"], ["Status", "status"],
        ["Version", "version"], ["Uptime", "nimbusUpTime"],
      ], nimbus.nimbuses, "No Nimbus reported.")),
      ...section("Topology Summary", table("topology-summary", [
        ["Name", (t) => link(t.name, topologyHref(t.id))], ["Id", "id"],
        ["Status", (t) => statusSpan(t.status)], ["Uptime", "uptime"],
        ["Workers", "workersTotal", "num"], ["Executors", "executorsTotal", "num"],
        ["Tasks", "tasksTotal", "num"], ["Storm version", "stormVersion"],
      ], topologies.topologies, "No topology is running.")),
      ...section("Supervisor Summary", table("supervisor-summary", [
        ["Host", "host"], ["Id", "id"], ["Uptime", "uptime"],
        ["Slots", "slotsTotal", "num"], ["Used slots", "slotsUsed", "num"],
        ["Total memory (MB)", "totalMem", "num"], ["Version", "version"],
      ], supervisors.supervisors, "No supervisor is running.")),
    ];
  }

  async function topologyAction(id, op) {
    let path = "topology/" + encodeURIComponent(id) + "/" + op;
    if (op === "kill" || op === "rebalance") {
      const wait = prompt("Seconds to wait before the " + op + ":", "30");
      if (wait === null) return;
      if (!/^\d+$/.test(wait.trim())) { alert("Please give a whole number of seconds."); return; }
      if (op === "kill" && !confirm("Kill topology " + id + "?")) return;
      path += "/" + wait.trim();
    }
    try {
      await api(path, { method: "POST" });
      await refresh();
    } catch (e) {
      alert(op + " failed: " + e.message);
    }
  }

  async function topologyPage(id) {
    const [t, graph] = await Promise.all([
      api("topology/" + encodeURIComponent(id) + "?" + statsQuery()),
      api("topology/" + encodeURIComponent(id) + "/visualization?" + statsQuery())
        .catch((e) => ({ error: e.message })),
    ]);
    document.title = t.name + " - Storm UI (stormbridge)";
    const actions = el("p", { id: "topology-actions" },
      ...["activate", "deactivate", "rebalance", "kill"].map((op) =>
        el("button", { class: op === "kill" ? "danger" : "", onclick: () => topologyAction(t.id, op) }, op)));
    return [
      el("p", null, link("« Cluster", "/")),
      ...section("Topology " + t.name, table("topology-info", [
        ["Name", "name"], ["Id", "id"], ["Status", (r) => statusSpan(r.status)],
        ["Uptime", "uptime"], ["Workers", "workersTotal", "num"],
        ["Executors", "executorsTotal", "num"], ["Tasks", "tasksTotal", "num"],
        ["Message timeout (s)", "msgTimeout", "num"],
      ], [t]), actions),
      ...section("Topology graph", graph.error
        ? el("p", { id: "topology-graph", class: "error" }, "Cannot draw the graph: " + graph.error)
        : topologyGraph(graph)),
      ...section("Topology stats", table("topology-stats", [
        ["Window", "windowPretty"], ["Emitted", "emitted", "num"],
        ["Transferred", "transferred", "num"], ["Complete latency (ms)", "completeLatency", "num"],
        ["Acked", "acked", "num"], ["Failed", "failed", "num"],
      ], t.topologyStats)),
      ...section("Spouts (" + t.windowHint + ")", table("spouts", [
        ["Id", (s) => link(s.spoutId, componentHref(t.id, s.spoutId))],
        ["Executors", "executors", "num"], ["Tasks", "tasks", "num"],
        ["Emitted", "emitted", "num"], ["Transferred", "transferred", "num"],
        ["Complete latency (ms)", "completeLatency", "num"],
        ["Acked", "acked", "num"], ["Failed", "failed", "num"],
        ["Last error", "lastError", "err"], ["Error time", errorAge],
      ], t.spouts, "No spout has reported statistics yet.")),
      ...section("Bolts (" + t.windowHint + ")", table("bolts", [
        ["Id", (b) => link(b.boltId, componentHref(t.id, b.boltId))],
        ["Executors", "executors", "num"], ["Tasks", "tasks", "num"],
        ["Emitted", "emitted", "num"], ["Transferred", "transferred", "num"],
        ["Capacity", "capacity", "num"], ["Execute latency (ms)", "executeLatency", "num"],
        ["Executed", "executed", "num"], ["Process latency (ms)", "processLatency", "num"],
        ["Acked", "acked", "num"], ["Failed", "failed", "num"],
        ["Last error", "lastError", "err"], ["Error time", errorAge],
      ], t.bolts, "No bolt has reported statistics yet.")),
      ...section("Workers", table("workers", [
        ["Host", "host"], ["Port", "port", "num"], ["Executors", "executorsTotal", "num"],
        ["Uptime", "uptime"], ["Log", (w) => logLink(w.workerLogLink)],
      ], t.workers, "No worker yet.")),
    ];
  }

  async function componentPage(topologyId, componentId) {
    const c = await api("topology/" + encodeURIComponent(topologyId) + "/component/" +
      encodeURIComponent(componentId) + "?" + statsQuery());
    document.title = componentId + " - " + c.name + " - Storm UI (stormbridge)";
    const isSpout = c.componentType === "spout";
    const windows = isSpout ? c.spoutSummary : c.boltStats;
    const windowColumns = isSpout
      ? [["Complete latency (ms)", (r) => r.completeLatency === null ? "" : r.completeLatency.toFixed(3), "num"]]
      : [["Capacity", "capacity", "num"], ["Execute latency (ms)", "executeLatency", "num"],
        ["Executed", "executed", "num"], ["Process latency (ms)", "processLatency", "num"]];
    const parts = [
      el("p", null, link("« Topology " + c.name, topologyHref(c.topologyId))),
      ...section((isSpout ? "Spout " : "Bolt ") + componentId, table("component-info", [
        ["Id", "id"], ["Topology", "name"], ["Type", "componentType"],
        ["Executors", "executors", "num"], ["Tasks", "tasks", "num"],
      ], [c])),
      ...section((isSpout ? "Spout" : "Bolt") + " stats", table("component-stats", [
        ["Window", "windowPretty"], ["Emitted", "emitted", "num"],
        ["Transferred", "transferred", "num"], ...windowColumns,
        ["Acked", "acked", "num"], ["Failed", "failed", "num"],
      ], windows)),
    ];
    if (!isSpout) {
      parts.push(...section("Input stats (" + c.windowHint + ")", table("input-stats", [
        ["Component", "component"], ["Stream", "stream"],
        ["Execute latency (ms)", "executeLatency", "num"], ["Executed", "executed", "num"],
        ["Process latency (ms)", "processLatency", "num"],
        ["Acked", "acked", "num"], ["Failed", "failed", "num"],
      ], c.inputStats)));
    }
    parts.push(...section("Output stats (" + c.windowHint + ")", table("output-stats", [
      ["Stream", "stream"], ["Emitted", "emitted", "num"], ["Transferred", "transferred", "num"],
      ...(isSpout ? [["Complete latency (ms)", "completeLatency", "num"],
        ["Acked", "acked", "num"], ["Failed", "failed", "num"]] : []),
    ], c.outputStats)));
    parts.push(...section("Executors (" + c.windowHint + ")", table("executor-stats", [
      ["Id", "id"], ["Uptime", "uptime"], ["Host", "host"], ["Port", "port", "num"],
      ["Log", (e) => logLink(e.workerLogLink)],
      ["Emitted", "emitted", "num"], ["Transferred", "transferred", "num"],
      ...(isSpout ? [["Complete latency (ms)", "completeLatency", "num"]]
        : [["Capacity", "capacity", "num"], ["Executed", "executed", "num"]]),
      ["Acked", "acked", "num"], ["Failed", "failed", "num"],
    ], c.executorStats)));
    parts.push(...section("Errors", table("component-errors", [
      ["Time", (e) => new Date(e.errorTime * 1000).toISOString()],
      ["Host", "errorHost"], ["Port", "errorPort", "num"], ["Error", "error", "err"],
    ], c.componentErrors.slice().reverse(), "No error reported.")));
    return parts;
  }

  function route() {
    if (location.pathname === "/topology.html") return topologyPage(params.get("id") || "");
    if (location.pathname === "/component.html") {
      return componentPage(params.get("topology_id") || "", params.get("id") || "");
    }
    return clusterPage();
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const nodes = await route();
      app.replaceChildren(...nodes);
      updated.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      app.replaceChildren(el("p", { id: "error", class: "error" }, "Cannot load: " + e.message));
      updated.textContent = "failed " + new Date().toLocaleTimeString();
    } finally {
      busy = false;
    }
  }

  function settingsChanged() {
    params.set("window", windowSelect.value);
    params.set("sys", String(sysBox.checked));
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    refresh();
  }

  windowSelect.addEventListener("change", settingsChanged);
  sysBox.addEventListener("change", settingsChanged);
  setInterval(() => { if (autoBox.checked && !document.hidden) refresh(); }, REFRESH_MS);
  refresh();
})();
