-- wrk script: request.lua's request, each connection pausing KMS_DELAY_MS
-- (default 4) between requests, so that the measured tenant sends a
-- modest, steady rate (2 connections x 4 ms: at most ~500 req/s) instead of
-- saturating the server itself. Environment as request.lua, plus
-- KMS_DELAY_MS.
dofile(os.getenv("KMS_BENCH_DIR") .. "/request.lua")
local pause = tonumber(os.getenv("KMS_DELAY_MS") or "4")
delay = function()
  return pause
end
