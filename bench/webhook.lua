-- POST /telegram/webhook with a fresh update_id per request (per thread: its own range).
local counter = 0
local base = 0
local threads = {}

function setup(thread)
  thread:set("base", #threads * 100000000)
  table.insert(threads, thread)
end

function init(args)
  base = base or 0
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = os.getenv("BENCH_SECRET") or ""

local template = '{"update_id":%d,"message":{"message_id":%d,"date":1700000000,' ..
  '"chat":{"id":1001,"type":"private","first_name":"Ada"},' ..
  '"from":{"id":1001,"is_bot":false,"first_name":"Ada"},"text":"/generate a red fox",' ..
  '"entities":[{"type":"bot_command","offset":0,"length":9}]}}'

function request()
  counter = counter + 1
  local id = base + counter
  return wrk.format(nil, "/telegram/webhook", nil, string.format(template, id, id))
end
