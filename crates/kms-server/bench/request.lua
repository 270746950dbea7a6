-- wrk script: one request replayed. Environment: KMS_PATH, KMS_BODY, and
-- either KMS_TOKEN (X-Auth-Token) or KMS_SDK_DATE + KMS_AUTHORIZATION (a
-- pre-signed SDK-HMAC-SHA256 request, see examples/presign.rs).
wrk.method = "POST"
wrk.path = os.getenv("KMS_PATH")
wrk.body = os.getenv("KMS_BODY")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("KMS_TOKEN")
if token and token ~= "" then
  wrk.headers["X-Auth-Token"] = token
else
  wrk.headers["X-Sdk-Date"] = os.getenv("KMS_SDK_DATE")
  wrk.headers["Authorization"] = os.getenv("KMS_AUTHORIZATION")
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_us=%d p99_us=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.status, summary.requests))
end
