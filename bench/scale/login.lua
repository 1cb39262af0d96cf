-- wrk script: password grants, each for a user picked at random from USERS_FILE (one
-- username a line), all with the password PASSWORD (URL-safe). AUTH: the client's Basic
-- header. MAX_REQUESTS (optional): stop the thread after that many. Run with -t1.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTH")
local users, n = {}, 0
for line in io.lines(os.getenv("USERS_FILE")) do
  n = n + 1
  users[n] = line
end
local password = os.getenv("PASSWORD")
local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
local sent = 0
math.randomseed(os.time())

function request()
  sent = sent + 1
  local body = "grant_type=password&scope=read&username=" .. users[math.random(n)] ..
    "&password=" .. password
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if max > 0 and sent >= max then wrk.thread:stop() end
end
