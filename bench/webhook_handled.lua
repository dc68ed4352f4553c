-- POST /telegram/webhook: real commands and texts, each update from one of CHATS private
-- chats (registered in the emulator from FIRST_CHAT on), with a fresh update_id.
local counter = 0
local first = tonumber(os.getenv("BENCH_FIRST_CHAT") or "10001")
local chats = tonumber(os.getenv("BENCH_CHATS") or "1000")
local texts = {"/start", "/help", "/generate a red fox %d", "a red fox %d"}

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = os.getenv("BENCH_SECRET") or ""

local template = '{"update_id":%d,"message":{"message_id":%d,"date":1700000000,' ..
  '"chat":{"id":%d,"type":"private","first_name":"User"},' ..
  '"from":{"id":%d,"is_bot":false,"first_name":"User","language_code":"en"},' ..
  '"text":"%s"%s}}'

function request()
  counter = counter + 1
  local chat = first + counter % chats
  local text = string.format(texts[counter % #texts + 1], counter)
  local entities = ""
  local command = string.match(text, "^/%a+")
  if command then
    entities = string.format(',"entities":[{"type":"bot_command","offset":0,"length":%d}]', #command)
  end
  local body = string.format(template, counter, counter, chat, chat, text, entities)
  return wrk.format(nil, "/telegram/webhook", nil, body)
end
