-- wrk script: each request carries a DPoP proof of its own, read from PROOFS_FILE (a proof's
-- jti is accepted once, so none is sent twice). When the list runs out the thread stops, so
-- wrk's requests/s is over the time actually run. Run with -t1.
-- Environment: PROOFS_FILE; METHOD (GET or POST, default POST); BODY (the urlencoded form,
-- for POST); AUTH (an Authorization header value: a client's Basic, or "DPoP <token>").
wrk.method = os.getenv("METHOD") or "POST"
local body = os.getenv("BODY")
if wrk.method == "POST" then
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local proofs, n, sent = {}, 0, 0
for line in io.lines(os.getenv("PROOFS_FILE")) do
  n = n + 1
  proofs[n] = line
end
-- wrk.format replaces wrk.headers with the table it is given: start from a copy of them.
local headers = {}
for name, value in pairs(wrk.headers) do headers[name] = value end
function request()
  sent = sent + 1
  -- Past the end (at most one request per connection while stopping): no valid proof,
  -- answered 400 or 401 and counted by wrk as non-2xx.
  headers["DPoP"] = proofs[sent] or "exhausted"
  return wrk.format(nil, nil, headers, body)
end
function response(status, headers, body)
  if sent >= n then wrk.thread:stop() end
end
