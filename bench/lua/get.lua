-- GET the URL, with `Authorization: Bearer $BEARER` when BEARER is set.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local bearer = os.getenv("BEARER")
if bearer and bearer ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. bearer
end
