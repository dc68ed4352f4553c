// What every part of the Mini App shares: every API call carries Telegram's initData;
// the server checks it.
export const tg = window.Telegram?.WebApp ?? null;
const initData = tg?.initData ?? "";
export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const response = await fetch(`/app/api${path}`, {
    method,
    headers: { Authorization: `tma ${initData}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const REFUSALS = {
  payment_required: "Not enough credits: pay this invoice and the image is made.",
  rate_limited: "Too many requests: try again in a minute.",
  moderation: "This prompt cannot be drawn.",
  prompt_length: "The prompt is too long.",
  repeated: "Already asked.",
  enhance_not_configured: "Prompt enhancement is not available.",
  instruction_length: "Say what to change in a few words.",
  expired: "This image is too old for that here: reply to it in the chat instead.",
};

export function invoiceView(target, bolt11, qrSvg) {
  const img = document.createElement("img");
  img.alt = "Lightning invoice";
  if (qrSvg) img.src = `data:image/svg+xml;base64,${btoa(qrSvg)}`;
  const link = document.createElement("a");
  link.href = `lightning:${bolt11}`;
  link.className = "lightning";
  link.textContent = bolt11;
  target.replaceChildren(img, link);
}
