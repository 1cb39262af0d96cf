-- wrk script: password grants whose refresh tokens are appended to TOKENS_FILE, one a line.
-- Used only to prepare the refresh_token measurement. Run with -t1.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTH")
local out = nil
function response(status, headers, body)
  if status ~= 200 then return end
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    out = out or io.open(os.getenv("TOKENS_FILE"), "a")
    out:write(token, "\n")
    out:flush()
  end
end
