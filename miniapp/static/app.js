// The Mini App: gallery, new images, settings and the admin view (balance.js: the
// balance; common.js: the API and what the parts share).
import { $, ApiError, REFUSALS, api, invoiceView, tg } from "./common.js";
import { buy, loadBalance } from "./balance.js";

const state = { me: null, oldest: null, done: false, loading: false, current: null };

function applyTheme(params) {
  for (const [key, value] of Object.entries(params ?? {})) {
    document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll("_", "-")}`, value);
  }
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const section of document.querySelectorAll("main section")) {
    section.hidden = section.id !== name;
  }
  if (name === "balance") loadBalance();
  if (name === "admin") loadAdmin();
}

function options(select, values, chosen) {
  select.replaceChildren(
    ...values.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = String(value) === String(chosen ?? "");
      return option;
    }),
  );
}

function fillForms(me) {
  const saved = me.settings;
  const models = me.models.map((m) => [m.name, `${m.name} · ${m.price_sats} sats`]);
  const ratios = me.aspect_ratios.map((r) => [r, r]);
  const numbers = Array.from({ length: me.max_images }, (_, i) => [i + 1, String(i + 1)]);
  const defaultModel = saved.model ?? me.models.find((m) => m.default)?.name;
  for (const prefix of ["new", "set"]) {
    options($(`${prefix}-model`), models, defaultModel);
    options($(`${prefix}-ratio`), ratios, saved.aspect_ratio ?? "1:1");
    options($(`${prefix}-number`), numbers, saved.num_images ?? 1);
    $(`${prefix}-enhance`).checked = saved.enhance;
    $(`${prefix}-enhance`).disabled = !me.can_enhance;
  }
}

function thumbnail(item) {
  const img = document.createElement("img");
  img.src = item.urls[0];
  img.alt = item.prompt;
  img.loading = "lazy";
  img.dataset.id = item.id;
  img.addEventListener("click", () => openDetail(item));
  return img;
}

async function loadMore(reset = false) {
  if (reset) {
    state.oldest = null;
    state.done = false;
    $("grid").replaceChildren();
  }
  if (state.loading || state.done) return;
  state.loading = true;
  try {
    const before = state.oldest === null ? "" : `&before=${state.oldest}`;
    const page = await api("GET", `/gallery?limit=24${before}`);
    for (const item of page.items) $("grid").append(thumbnail(item));
    if (page.items.length) state.oldest = page.items[page.items.length - 1].created_at;
    state.done = page.items.length < 24;
    const empty = !$("grid").children.length;
    $("empty").hidden = !empty;
    $("delete-all").hidden = empty;
  } finally {
    state.loading = false;
  }
}

function openDetail(item) {
  state.current = item;
  $("detail-img").src = item.urls[0];
  $("detail-prompt").textContent = item.prompt;
  const date = new Date(item.created_at * 1000).toLocaleString();
  const seed = item.seed === null ? "" : ` · seed ${item.seed}`;
  $("detail-meta").textContent = `${item.model ?? "default model"} · ${item.aspect_ratio} · ${date}${seed}`;
  $("detail-download").href = item.urls[0];
  $("detail-status").textContent = "";
  $("detail-invoice").replaceChildren();
  $("edit-form").hidden = true;
  $("edit-instruction").value = "";
  $("detail-upscale").hidden = item.kind === "upscale";  // as in the chat: once is enough
  $("detail").showModal();
}

async function deleteCurrent() {
  await api("DELETE", `/gallery/${encodeURIComponent(state.current.id)}`);
  $("detail").close();
  await loadMore(true);
}

async function deleteAll() {
  if (!window.confirm("Delete every image in your gallery?")) return;
  await api("DELETE", "/gallery");
  await loadMore(true);
}

async function pollJob(jobId, status = $("job-status")) {
  for (let i = 0; i < 600; i++) {
    const job = await api("GET", `/jobs/${jobId}`);
    if (job.status === "delivered") {
      status.textContent = "Done: it is in the chat and in your gallery.";
      await loadMore(true);
      return;
    }
    if (job.status === "failed") {
      status.textContent = "It failed; you were not charged.";
      return;
    }
    status.textContent = job.status === "running" ? "Drawing…" : "Waiting in line…";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// Variations, Edit and Upscale of the open image: the chat's buttons, delivered there too.
async function followUp(action, extra = {}) {
  const status = $("detail-status");
  status.textContent = "Sending…";
  $("detail-invoice").replaceChildren();
  const path = `/gallery/${encodeURIComponent(state.current.id)}/${action}`;
  try {
    const { job_id } = await api("POST", path, { request_id: crypto.randomUUID(), ...extra });
    status.textContent = "Accepted.";
    $("edit-form").hidden = true;
    await pollJob(job_id, status);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    status.textContent = REFUSALS[error.message] ?? "That did not work.";
    if (error.body?.bolt11) invoiceView($("detail-invoice"), error.body.bolt11, null);
  }
}

function editCurrent(event) {
  event.preventDefault();
  const instruction = $("edit-instruction").value.trim();
  if (!instruction) {
    $("detail-status").textContent = REFUSALS.instruction_length;
    return;
  }
  followUp("edit", { instruction });
}

async function makeImage(event) {
  event.preventDefault();
  $("new-invoice").replaceChildren();
  const body = {
    prompt: $("prompt").value,
    model: $("new-model").value || null,
    aspect_ratio: $("new-ratio").value,
    num_images: Number($("new-number").value),
    enhance: $("new-enhance").checked,
    request_id: crypto.randomUUID(),
  };
  try {
    const { job_id } = await api("POST", "/generate", body);
    $("job-status").textContent = "Accepted.";
    await pollJob(job_id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    $("job-status").textContent = REFUSALS[error.message] ?? "That did not work.";
    if (error.body?.bolt11) invoiceView($("new-invoice"), error.body.bolt11, null);
  }
}

async function saveSettings(event) {
  event.preventDefault();
  try {
    await api("PUT", "/settings", {
      model: $("set-model").value || null,
      aspect_ratio: $("set-ratio").value,
      num_images: Number($("set-number").value),
      enhance: $("set-enhance").checked,
    });
    state.me = await api("GET", "/me");
    fillForms(state.me);
    $("settings-status").textContent = "Saved.";
  } catch (error) {
    $("settings-status").textContent = "Not saved.";
  }
}

function bars(chart, key, className, title) {
  const caption = document.createElement("p");
  caption.className = "caption";
  caption.textContent = title;
  const box = document.createElement("div");
  box.className = "bars";
  const top = Math.max(1, ...chart.map((p) => p[key]));
  for (const point of chart) {
    const bar = document.createElement("div");
    bar.className = className;
    bar.title = `${point.day}: ${point[key]}`;
    bar.style.height = `${(100 * point[key]) / top}%`;
    box.append(bar);
  }
  return [caption, box];
}

async function loadAdmin() {
  try {
    const stats = await api("GET", `/admin/stats?days=${$("admin-days").value}`);
    $("admin-figures").textContent =
      `${stats.users.total} users · ${stats.revenue_sats} sats · ` +
      `queue ${stats.queue_depth} · in flight ${stats.in_flight}`;
    $("admin-chart").replaceChildren(
      ...bars(stats.chart, "delivered", "", "Images delivered per day"),
      ...bars(stats.chart, "failed", "failed", "Failed per day"),
      ...bars(stats.chart, "revenue_sats", "", "Revenue per day (sats)"),
    );
    const moderation = await api("GET", "/admin/moderation");
    $("admin-blocks").replaceChildren(...moderation.blocks.map((b) => {
      const li = document.createElement("li");
      li.textContent = `${new Date(b.at * 1000).toLocaleString()} · user ${b.user_id} · ${b.category}`;
      return li;
    }));
    $("admin-banned").replaceChildren(...moderation.banned.map((id) => {
      const li = document.createElement("li");
      const unban = document.createElement("button");
      unban.textContent = `Unban ${id}`;
      unban.addEventListener("click", async () => { await api("POST", `/admin/unban/${id}`); loadAdmin(); });
      li.append(unban);
      return li;
    }));
  } catch (error) {
    $("admin-figures").textContent = error.status === 403 ? "Admins only." : "Not available.";
  }
}

async function main() {
  applyTheme(tg?.themeParams);
  document.documentElement.dataset.scheme = tg?.colorScheme ?? "light";
  tg?.ready?.();
  tg?.expand?.();
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  try {
    state.me = await api("GET", "/me");
  } catch (error) {
    document.querySelector("main").replaceChildren($("notice"));
    document.querySelector("nav").hidden = true;
    notice("Open this page from the bot in Telegram.");
    document.body.dataset.ready = "denied";
    return;
  }
  document.querySelector('[data-tab="admin"]').hidden = !state.me.admin;
  fillForms(state.me);
  $("new-form").addEventListener("submit", makeImage);
  $("settings-form").addEventListener("submit", saveSettings);
  $("buy-form").addEventListener("submit", buy);
  $("admin-days").addEventListener("change", loadAdmin);
  $("delete-all").addEventListener("click", deleteAll);
  $("detail-delete").addEventListener("click", deleteCurrent);
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("detail-variations").addEventListener("click", () => followUp("variations"));
  $("detail-upscale").addEventListener("click", () => followUp("upscale"));
  $("detail-edit").addEventListener("click", () => {
    $("edit-form").hidden = false;
    $("edit-instruction").focus();
  });
  $("edit-form").addEventListener("submit", editCurrent);
  $("edit-instruction").maxLength = state.me.max_prompt_chars;
  $("detail-again").addEventListener("click", () => {
    $("prompt").value = state.current.prompt;
    $("detail").close();
    showTab("new");
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }).observe($("more"));
  await loadMore(true);
  document.body.dataset.ready = "yes";
}

main();
