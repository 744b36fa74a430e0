-- POST $BODY (application/x-www-form-urlencoded) to the URL: refresh
-- without rotation, verify, obtain. With COUNT_STATUS=1 it also counts the
-- responses by status (wrk then parses every response: a little dearer),
-- as the login flood needs for its share of 503s; with DELAY_MS > 0 each
-- connection pauses that long before each request (a paced storm).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

if os.getenv("COUNT_STATUS") == "1" then
  statuses = {}
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

local delay_ms = tonumber(os.getenv("DELAY_MS") or "0") or 0
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end
