// The balance view: credits, buying them by Lightning, and the history of top-ups and
// charges.
import { $, api, invoiceView } from "./common.js";

export async function loadBalance(withHistory = true) {
  const balance = await api("GET", "/balance");
  $("buy-form").hidden = !balance.payments;
  $("balance-figures").textContent = balance.payments
    ? `${balance.available_sats} sats available · ${balance.free_per_day} free images a day`
    : "Images are free here.";
  if (withHistory && balance.payments) await loadHistory();
  return balance;
}

const EVENTS = {
  topup: () => "Top-up",
  charge: (e) => (e.images === 1 ? "1 image" : `${e.images} images`),
  refund: () => "Refund paid out",
  pool_out: () => "To a group's pool",
  pool_in: () => "Into the pool",
};

async function loadHistory() {
  const { events } = await api("GET", "/history");
  $("history-title").hidden = !events.length;
  $("history").replaceChildren(...events.map((e) => {
    const li = document.createElement("li");
    const what = document.createElement("span");
    const when = document.createElement("span");
    const sats = document.createElement("span");
    what.textContent = (EVENTS[e.kind] ?? (() => e.kind))(e);
    when.className = "when";
    when.textContent = new Date(e.at * 1000).toLocaleString();
    sats.textContent = `${e.sats > 0 ? "+" : "−"}${Math.abs(e.sats)} sats`;
    sats.className = e.sats > 0 ? "in" : "out";
    li.dataset.kind = e.kind;
    li.append(what, when, sats);
    return li;
  }));
}

export async function buy(event) {
  event.preventDefault();
  const invoice = await api("POST", "/buy", { sats: Number($("buy-sats").value) });
  invoiceView($("invoice"), invoice.bolt11, invoice.qr_svg);
  const before = (await loadBalance(false)).available_sats;
  for (let i = 0; i < 300; i++) {  // live: the balance is asked every 3 s until it moves
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if ((await loadBalance(false)).available_sats !== before) {
      $("invoice").textContent = "Paid, thank you.";
      await loadHistory();
      return;
    }
  }
}
