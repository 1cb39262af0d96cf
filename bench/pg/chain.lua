-- wrk script for bench/pg/bounded.sh: refresh-token chains, and the revocation of every
-- access token they yield. TOKENS_FILE holds one fresh refresh token a line (a session
-- each); every answer to a refresh gives the next token of its chain and an access token,
-- which the next request revokes. With no token free (all in flight) a request goes to
-- /healthz. A failed refresh ends its chain (counted by wrk as non-2xx). Run with -t1.
-- AUTH: the client's Basic header.
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTH")
local refresh, access = {}, {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  refresh[#refresh + 1] = line
end
function request()
  local token = table.remove(access)
  if token then
    return wrk.format("POST", "/oauth/revoke", nil,
      "token_type_hint=access_token&token=" .. token)
  end
  token = table.remove(refresh, 1)
  if token then
    return wrk.format("POST", "/oauth/token", nil,
      "grant_type=refresh_token&refresh_token=" .. token)
  end
  return wrk.format("GET", "/healthz")
end
function response(status, headers, body)
  if status ~= 200 then return end
  local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  local access_token = body:match('"access_token"%s*:%s*"([^"]+)"')
  if next_token then refresh[#refresh + 1] = next_token end
  if access_token then access[#access + 1] = access_token end
end
