-- wrk script: create-key with a fresh alias per request (a write that
-- reaches the database every time). Environment: KMS_PATH, KMS_TOKEN,
-- KMS_PREFIX (distinguishes concurrent wrk processes), optionally KMS_SPEC
-- and KMS_USAGE (key_spec and key_usage, e.g. RSA_4096 SIGN_VERIFY).
local counter = 0
local prefix = os.getenv("KMS_PREFIX") or "w"
local thread_tag = tostring(math.random(1, 1e9))

request = function()
  counter = counter + 1
  local spec = os.getenv("KMS_SPEC")
  local body
  if spec and spec ~= "" then
    body = string.format('{"key_alias":"bench_%s_%s_%d","key_spec":"%s","key_usage":"%s"}',
      prefix, thread_tag, counter, spec, os.getenv("KMS_USAGE") or "SIGN_VERIFY")
  else
    body = string.format('{"key_alias":"bench_%s_%s_%d"}', prefix, thread_tag, counter)
  end
  return wrk.format("POST", os.getenv("KMS_PATH"), {
    ["Content-Type"] = "application/json",
    ["X-Auth-Token"] = os.getenv("KMS_TOKEN"),
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_us=%d p99_us=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.status, summary.requests))
end
