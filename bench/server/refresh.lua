-- wrk script: refresh_token grants, each with a fresh token read from TOKENS_FILE (tokens
-- rotate, so none is used twice). When the list runs out the thread stops, so wrk's
-- requests/s is over the time actually run. Run with -t1. AUTH: the client's Basic header.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTH")
local tokens, n, sent = {}, 0, 0
for line in io.lines(os.getenv("TOKENS_FILE")) do
  n = n + 1
  tokens[n] = line
end
function request()
  sent = sent + 1
  -- Past the end (at most one request per connection while stopping): a token that does
  -- not exist, answered 400 and counted by wrk as non-2xx.
  local token = tokens[sent] or "exhausted"
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end
function response(status, headers, body)
  if sent >= n then wrk.thread:stop() end
end
