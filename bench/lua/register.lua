-- Registration load: every request registers a new user,
-- "<RUN>t<thread>n<counter>", with its own email, and the responses are
-- counted by status (201 expected). RUN keeps names of separate loads on
-- one database apart.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local run = os.getenv("RUN") or "r"
local n = 0
local hdrs = { ["Content-Type"] = "application/json" }
statuses = {}

function request()
  n = n + 1
  local name = string.format("%st%dn%d", run, tid, n)
  local body = string.format(
    '{"username":"%s","email":"%s@example.org","password":"Sc4le-bench-pw!","password2":"Sc4le-bench-pw!"}',
    name, name)
  return wrk.format("POST", nil, hdrs, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
