-- Shared by the bench scripts (loaded with dofile): numbers the threads and,
-- when wrk is done, prints one machine-readable line that bench/run.sh reads:
--   RESULT requests=… duration_us=… p50_us=… p99_us=… … [s<status>=<count> …]
-- Status counts exist only for scripts that define response() (and fill the
-- per-thread table `statuses`); wrk itself only counts statuses ≥ 400.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function done(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if type(s) == "table" then
      for k, v in pairs(s) do counts[k] = (counts[k] or 0) + v end
    end
  end
  local line = string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f max_us=%d status_err=%d connect_err=%d read_err=%d write_err=%d timeout=%d",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max,
    e.status, e.connect, e.read, e.write, e.timeout)
  local keys = {}
  for k in pairs(counts) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do line = line .. string.format(" s%d=%d", k, counts[k]) end
  io.write(line .. "\n")
end
