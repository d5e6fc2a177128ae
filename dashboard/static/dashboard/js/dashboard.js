/* AutoForge dashboard (templates/dashboard/index.html).
 *
 * The server renders the fleet table; this file keeps it live and draws the
 * device's charts, all through the JSON API any client uses:
 *   GET /api/devices             the fleet table
 *   GET /api/sensors/aggregate   the charts (uPlot, one per metric)
 *   GET/POST /api/control        the device's commands (session + CSRF token)
 *   GET /api/alarms              the active alarms (polled)
 *
 * Live updates: each reading stored comes from the stream
 *   GET /api/sensors/stream      (EventSource; it resumes by itself after a break)
 * and goes into the fleet table and, for the device shown, into its chart
 * buckets at once (`onReading`). A slower poll (`startPolling`) catches what
 * the stream does not carry: a device going offline, a command's status,
 * the active alarms.
 * No inline code anywhere: the page's settings come from a JSON data block.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const METRICS = ["temperature", "vibration", "gas", "power"];
  // Bucket sizes of /api/sensors/aggregate, smallest first, in seconds.
  const INTERVALS = [["1m", 60], ["5m", 300], ["15m", 900], ["1h", 3600], ["6h", 21600], ["1d", 86400]];
  const MAX_BUCKETS = 10000;
  // Range -> [seconds, interval]: 60, 288, 168 and 120 points.
  const PRESETS = { "1h": [3600, "1m"], "24h": [86400, "5m"], "7d": [604800, "1h"], "30d": [2592000, "6h"] };

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, options));
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      body = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, describeError(body) || response.statusText);
    }
    return body;
  }

  function describeError(body) {
    if (!body) return "";
    if (body.message && !body.errors) return body.message;
    return JSON.stringify(body.errors || body);
  }

  function query(params) {
    const parts = [];
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") {
        parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value));
      }
    }
    return parts.length ? "?" + parts.join("&") : "";
  }

  function formatNumber(value) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(2);
  }

  function formatTime(iso) {
    if (!iso) return "never";
    return new Date(iso).toLocaleString();
  }

  function ago(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 90) return seconds + " s ago";
    if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
    if (seconds < 129600) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function emptyRow(text, columns) {
    const row = element("tr", "empty");
    const cell = element("td", "", text);
    cell.colSpan = columns;
    row.appendChild(cell);
    return row;
  }

  /* --- Fleet table ------------------------------------------------------ */

  const fleetBody = document.querySelector("#fleet-table tbody");

  function existingFleetRow(deviceId) {
    return Array.from(fleetBody.rows).find((row) => row.dataset.deviceId === deviceId) || null;
  }

  function fleetRow(deviceId) {
    const existing = existingFleetRow(deviceId);
    if (existing) return existing;
    const row = element("tr");
    row.dataset.deviceId = deviceId;
    const fields = ["device_id", "state", "last_seen"].concat(METRICS, ["reading_count"]);
    for (const field of fields) {
      const cell = element("td", METRICS.includes(field) || field === "reading_count" ? "num" : "");
      cell.dataset.field = field;
      row.appendChild(cell);
    }
    const link = element("a", "", deviceId);
    link.href = "?device=" + encodeURIComponent(deviceId);
    row.cells[0].appendChild(link);
    return row;
  }

  function renderFleet(devices) {
    const online = devices.filter((device) => device.online).length;
    for (const empty of fleetBody.querySelectorAll("tr.empty")) empty.remove();
    const rows = [];
    for (const device of devices) {
      const row = fleetRow(device.device_id);
      const cell = (field) => row.querySelector('[data-field="' + field + '"]');
      const state = element("span", "badge " + (device.online ? "online" : "offline"), device.online ? "online" : "offline");
      cell("state").replaceChildren(state);
      if (device.last_seen) {
        const time = element("time", "", formatTime(device.last_seen) + " (" + ago(device.last_seen) + ")");
        time.dateTime = device.last_seen;
        cell("last_seen").replaceChildren(time);
      } else {
        cell("last_seen").textContent = "never";
      }
      for (const metric of METRICS) {
        cell(metric).textContent = formatNumber(device.latest ? device.latest[metric] : null);
      }
      cell("reading_count").textContent = String(device.reading_count);
      row.classList.toggle("selected", device.device_id === config.device);
      rows.push(row);
    }
    // In the API's order (device_id); a device the registry no longer has goes.
    fleetBody.replaceChildren(...rows);
    if (!rows.length) fleetBody.appendChild(emptyRow("No device has sent a reading yet.", 4 + METRICS.length));
    document.getElementById("fleet-summary").textContent =
      devices.length + " device" + (devices.length === 1 ? "" : "s") + ", " + online + " online";
    document.getElementById("fleet-updated").textContent = "updated " + new Date().toLocaleTimeString();
  }

  async function refreshFleet() {
    const body = await api(config.urls.devices + query({ limit: config.maxDevices }));
    renderFleet(body.data);
  }

  /* --- Charts ----------------------------------------------------------- */

  const charts = {}; // metric -> uPlot
  let chartWindow = null; // {since, until, interval, seconds, live, span}
  let buckets = new Map(); // bucket start (Unix s) -> bucket

  function fittingInterval(since, until) {
    for (const [name, seconds] of INTERVALS) {
      const first = Math.floor(since / seconds) * seconds;
      if (Math.ceil((until - first) / seconds) <= MAX_BUCKETS) return [name, seconds];
    }
    return null;
  }

  function chosenWindow() {
    const range = document.getElementById("range").value;
    const now = Date.now() / 1000;
    if (range in PRESETS) {
      const [span, interval] = PRESETS[range];
      const seconds = INTERVALS.find((entry) => entry[0] === interval)[1];
      // Until one bucket ahead: a device whose clock runs a little fast still shows.
      return { since: now - span, until: now + seconds, interval, seconds, live: true, span };
    }
    const since = Date.parse(document.getElementById("since").value) / 1000;
    const until = Date.parse(document.getElementById("until").value) / 1000;
    if (!(since < until)) throw new Error("Pick a custom range: since before until.");
    const fitting = fittingInterval(since, until);
    if (!fitting) throw new Error("That range is too long to chart.");
    return { since, until, interval: fitting[0], seconds: fitting[1], live: until > now, span: null };
  }

  function columns() {
    // uPlot's shape: [x, avg, min, max] per metric; a gap of missing buckets
    // gets a null so that the line breaks there instead of bridging it.
    const starts = Array.from(buckets.keys()).sort((a, b) => a - b);
    const x = [];
    const series = {};
    for (const metric of METRICS) series[metric] = [[], [], []];
    let previous = null;
    for (const start of starts) {
      if (previous !== null && start - previous > chartWindow.seconds) {
        x.push(previous + chartWindow.seconds);
        for (const metric of METRICS) series[metric].forEach((values) => values.push(null));
      }
      const bucket = buckets.get(start);
      x.push(start);
      for (const metric of METRICS) {
        series[metric][0].push(bucket["avg_" + metric]);
        series[metric][1].push(bucket["min_" + metric]);
        series[metric][2].push(bucket["max_" + metric]);
      }
      previous = start;
    }
    return { x, series };
  }

  function chartSize(container) {
    return { width: Math.max(280, container.clientWidth), height: 200 };
  }

  function drawCharts() {
    const { x, series } = columns();
    for (const metric of METRICS) {
      const data = [x].concat(series[metric]);
      const container = document.getElementById("chart-" + metric);
      // What is drawn, for a look from outside (the browser tests): buckets, newest max.
      const maxima = series[metric][2];
      container.dataset.buckets = String(buckets.size);
      container.dataset.newestMax = maxima.length ? String(maxima[maxima.length - 1]) : "";
      if (charts[metric]) {
        charts[metric].setData(data);
        continue;
      }
      const options = Object.assign(chartSize(container), {
        scales: { x: { time: true } },
        series: [
          {},
          { label: "avg", stroke: "#1f6feb", width: 2 },
          { label: "min", stroke: "#8aa4c8", width: 1, dash: [4, 4] },
          { label: "max", stroke: "#d9822b", width: 1, dash: [4, 4] },
        ],
      });
      charts[metric] = new uPlot(options, data, container);
    }
    const count = buckets.size;
    setChartStatus(count ? count + " buckets of " + chartWindow.interval : "No readings in this range.");
  }

  function setChartStatus(text) {
    document.getElementById("chart-status").textContent = text;
  }

  async function loadCharts() {
    try {
      chartWindow = chosenWindow();
    } catch (error) {
      setChartStatus(error.message);
      return;
    }
    buckets = new Map();
    await fetchBuckets(chartWindow.since, chartWindow.until);
    drawCharts();
  }

  async function fetchBuckets(since, until) {
    const body = await api(
      config.urls.aggregate +
        query({
          device_id: config.device,
          interval: chartWindow.interval,
          since: new Date(since * 1000).toISOString(),
          until: new Date(until * 1000).toISOString(),
        })
    );
    for (const bucket of body.data) buckets.set(Date.parse(bucket.bucket) / 1000, bucket);
  }

  async function refreshCharts() {
    if (!chartWindow || !chartWindow.live) return;
    const now = Date.now() / 1000;
    // Again from the newest bucket drawn (it may have grown) to one bucket ahead.
    const starts = Array.from(buckets.keys());
    const newest = starts.length ? Math.max(...starts) : chartWindow.since;
    const since = Math.max(newest, chartWindow.since);
    const until = chartWindow.span ? now + chartWindow.seconds : chartWindow.until;
    if (chartWindow.span) {
      chartWindow.since = now - chartWindow.span; // the window slides
      for (const start of starts) {
        if (start + chartWindow.seconds <= chartWindow.since) buckets.delete(start);
      }
    }
    chartWindow.until = until;
    await fetchBuckets(since, until);
    drawCharts();
  }

  function setUpCharts() {
    const form = document.getElementById("range-form");
    const range = document.getElementById("range");
    const custom = document.getElementById("custom-range");
    range.addEventListener("change", () => {
      custom.hidden = range.value !== "custom";
      if (range.value !== "custom") form.requestSubmit();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams(new FormData(form));
      if (range.value !== "custom") {
        params.delete("since");
        params.delete("until");
      }
      history.replaceState(null, "", "?" + params.toString());
      loadCharts().catch(report);
    });
    window.addEventListener("resize", () => {
      for (const metric of METRICS) {
        if (charts[metric]) charts[metric].setSize(chartSize(document.getElementById("chart-" + metric)));
      }
    });
  }

  /* --- The stream --------------------------------------------------------- */

  let redrawPending = false;

  function redrawSoon() {
    // Many readings in one burst: one redraw per frame.
    if (redrawPending) return;
    redrawPending = true;
    window.requestAnimationFrame(() => {
      redrawPending = false;
      drawCharts();
    });
  }

  function updateFleetRow(reading) {
    const row = existingFleetRow(reading.device_id);
    if (!row) return false;
    const cell = (field) => row.querySelector('[data-field="' + field + '"]');
    cell("state").replaceChildren(element("span", "badge online", "online"));
    const time = element("time", "", formatTime(reading.created_at) + " (just now)");
    time.dateTime = reading.created_at;
    cell("last_seen").replaceChildren(time);
    for (const metric of METRICS) cell(metric).textContent = formatNumber(reading[metric]);
    const count = cell("reading_count");
    count.textContent = String(Number(count.textContent || 0) + 1);
    return true;
  }

  function addToBucket(reading) {
    // The bucket the aggregate endpoint would put it in (UTC-aligned starts).
    if (!chartWindow || !chartWindow.live) return;
    const at = Date.parse(reading.timestamp) / 1000;
    if (at < chartWindow.since) return;
    const start = Math.floor(at / chartWindow.seconds) * chartWindow.seconds;
    const bucket = buckets.get(start);
    if (!bucket) {
      const created = { bucket: new Date(start * 1000).toISOString(), count: 1 };
      for (const metric of METRICS) {
        for (const kind of ["avg_", "min_", "max_"]) created[kind + metric] = reading[metric];
      }
      buckets.set(start, created);
    } else {
      const count = bucket.count + 1;
      for (const metric of METRICS) {
        const value = reading[metric];
        bucket["avg_" + metric] += (value - bucket["avg_" + metric]) / count;
        bucket["min_" + metric] = Math.min(bucket["min_" + metric], value);
        bucket["max_" + metric] = Math.max(bucket["max_" + metric], value);
      }
      bucket.count = count;
    }
    redrawSoon();
  }

  function onReading(event) {
    const reading = JSON.parse(event.data);
    if (!updateFleetRow(reading)) refreshFleet().catch(report); // a new device
    document.getElementById("fleet-updated").textContent = "live, " + new Date().toLocaleTimeString();
    if (config.device && reading.device_id === config.device) addToBucket(reading);
  }

  function startStream() {
    if (!window.EventSource) return;
    const source = new EventSource(config.urls.stream);
    source.addEventListener("reading", onReading);
    source.addEventListener("open", () => document.body.classList.add("streaming"));
    source.addEventListener("error", () => document.body.classList.remove("streaming"));
  }

  /* --- Commands --------------------------------------------------------- */

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
    const field = document.querySelector("#command-form [name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function renderCommands(commands) {
    const body = document.querySelector("#commands-table tbody");
    const rows = commands.map((command) => {
      const row = element("tr");
      row.dataset.commandId = String(command.id);
      row.appendChild(element("td", "num", String(command.id)));
      row.appendChild(element("td", "", command.command));
      row.appendChild(element("td", "mono", JSON.stringify(command.parameters || {})));
      const status = element("td");
      status.appendChild(element("span", "badge status-" + command.status, command.status));
      row.appendChild(status);
      row.appendChild(element("td", "", formatTime(command.created_at)));
      row.appendChild(element("td", "", command.created_by || ""));
      return row;
    });
    if (!rows.length) rows.push(emptyRow("No commands sent to this device yet.", 6));
    body.replaceChildren(...rows);
  }

  async function refreshCommands() {
    if (!config.device || !config.canViewCommands) return;
    const body = await api(config.urls.commands + query({ device_id: config.device, limit: 10 }));
    renderCommands(body.data);
  }

  function setUpCommandForm() {
    const form = document.getElementById("command-form");
    if (!form) return;
    const status = document.getElementById("command-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = { device_id: config.device, command: form.elements.command.value.trim() };
      const parameters = form.elements.parameters.value.trim();
      if (parameters) {
        try {
          payload.parameters = JSON.parse(parameters);
        } catch (error) {
          status.className = "error";
          status.textContent = "Parameters: not valid JSON.";
          return;
        }
      }
      status.className = "quiet";
      status.textContent = "Sending…";
      try {
        const sent = await api(config.urls.commands, {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify(payload),
        });
        status.className = "ok";
        status.textContent = "Command #" + sent.id + " " + sent.status + ".";
        form.elements.command.value = "";
        await refreshCommands();
      } catch (error) {
        status.className = "error";
        status.textContent = "Not sent: " + error.message;
      }
    });
  }

  /* --- Active alarms ----------------------------------------------------- */

  const SEVERITY_ORDER = { critical: 0, major: 1, minor: 2, warning: 3 };

  function alarmName(alarm) {
    if (alarm.kind === "offline") return "offline";
    return (alarm.rule || "rule #" + alarm.rule_id) + " (" + alarm.metric + ")";
  }

  function renderAlarms(alarms) {
    const body = document.querySelector("#alarms-table tbody");
    const sorted = alarms.slice().sort((a, b) => (SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]) || (b.id - a.id));
    const rows = sorted.map((alarm) => {
      const row = element("tr");
      row.dataset.alarmId = String(alarm.id);
      row.dataset.deviceId = alarm.device_id;
      row.classList.toggle("selected", alarm.device_id === config.device);
      const severity = element("td");
      severity.appendChild(element("span", "badge severity-" + alarm.severity, alarm.severity));
      row.appendChild(severity);
      const device = element("td");
      const link = element("a", "", alarm.device_id);
      link.href = "?device=" + encodeURIComponent(alarm.device_id);
      device.appendChild(link);
      row.appendChild(device);
      row.appendChild(element("td", "", alarmName(alarm)));
      row.appendChild(element("td", "num", alarm.kind === "offline" ? "–" : formatNumber(alarm.value)));
      row.appendChild(element("td", "num", alarm.kind === "offline" ? alarm.threshold + " s" : formatNumber(alarm.threshold)));
      const since = element("time", "", formatTime(alarm.started_at) + " (" + ago(alarm.started_at) + ")");
      since.dateTime = alarm.started_at;
      const sinceCell = element("td");
      sinceCell.appendChild(since);
      row.appendChild(sinceCell);
      row.appendChild(element("td", "", alarm.acknowledged ? "by " + (alarm.acknowledged_by || "?") : "no"));
      return row;
    });
    if (!rows.length) rows.push(emptyRow("No active alarm.", 7));
    body.replaceChildren(...rows);
  }

  async function refreshAlarms() {
    const limit = 100;
    const body = await api(config.urls.alarms + query({ status: "active", limit: limit }));
    renderAlarms(body.data);
    // "count" is the page's: a full page may not be all of them.
    const shown = body.data.length;
    document.getElementById("alarms-summary").textContent =
      shown < limit ? shown + " active" : "the newest " + limit + " active shown";
  }

  /* --- Live updates ------------------------------------------------------ */

  function report(error) {
    // Shown on the page, not thrown: one failed poll must not stop the next.
    const updated = document.getElementById("fleet-updated");
    updated.textContent = "update failed (" + error.message + "), retrying";
  }

  function startPolling(refreshers, seconds) {
    async function tick() {
      if (!document.hidden) {
        for (const refresh of refreshers) {
          try {
            await refresh();
          } catch (error) {
            report(error);
          }
        }
      }
      window.setTimeout(tick, seconds * 1000);
    }
    window.setTimeout(tick, seconds * 1000);
  }

  refreshFleet().catch(report);
  refreshAlarms().catch(report);
  const refreshers = [refreshFleet, refreshAlarms];
  if (config.device) {
    setUpCharts();
    setUpCommandForm();
    loadCharts().catch(report);
    refreshCommands().catch(report);
    refreshers.push(refreshCharts, refreshCommands);
  }
  startStream();
  startPolling(refreshers, config.pollSeconds);
})();
