-- Refresh with rotation: every refresh token is good once, so each thread
-- keeps a pool of tokens (its share of the lines of $TOKENS_FILE: one per
-- connection and one spare), sends one per request and puts back the new
-- refresh token of each 200 answer. wrk calls response() before the
-- connection's next request(), so the pool never runs dry while every
-- refresh succeeds. The spare is there because wrk calls the first
-- thread's request() once before any connection opens, to check what it
-- returns, and that token is never sent. If a refresh fails its token is
-- lost; an empty pool then resends the last token, which fails visibly in
-- the status counts.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local pool = {}
local last
statuses = {}

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    if line ~= "" then
      if i % n == tid - 1 then table.insert(pool, line) end
      i = i + 1
    end
  end
end

local hdrs = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
  local t = table.remove(pool) or last
  last = t
  return wrk.format("POST", nil, hdrs, "refresh=" .. t)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    local r = body:match('"refresh"%s*:%s*"([^"]+)"')
    if r then table.insert(pool, r) end
  end
end
