-- wrk script: another script's requests (KMS_SCRIPT, default request.lua),
-- each connection pausing KMS_DELAY_MS (default 4) between requests, so
-- that the measured tenant sends a modest, steady rate (2 connections x
-- 4 ms: at most ~500 req/s) instead of saturating the server itself.
-- Environment as that script, plus KMS_BENCH_DIR, KMS_SCRIPT, KMS_DELAY_MS.
dofile(os.getenv("KMS_BENCH_DIR") .. "/" .. (os.getenv("KMS_SCRIPT") or "request.lua"))
local pause = tonumber(os.getenv("KMS_DELAY_MS") or "4")
delay = function()
  return pause
end
