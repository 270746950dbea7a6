-- wrk script: POST create-datakey-without-plaintext with token auth.
-- Environment: KMS_PROJECT, KMS_TOKEN, KMS_KEY_ID.
local project = os.getenv("KMS_PROJECT")
local token = os.getenv("KMS_TOKEN")
local key = os.getenv("KMS_KEY_ID")
wrk.method = "POST"
wrk.path = "/v1.0/" .. project .. "/kms/create-datakey-without-plaintext"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = token
wrk.body = '{"key_id":"' .. key .. '","datakey_length":"256"}'

done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors_non2xx=%d duration_s=%.2f rps=%.0f\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_us p50=%d p90=%d p99=%d p99.9=%d max=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
