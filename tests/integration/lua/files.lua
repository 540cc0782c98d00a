-- The image's file tree (lib/cpiofs through lib/syscall/sys_file.c) as
-- Lua's io, os and package see it. Run as DIR/files.lua with --files DIR.
local dir = arg[0]:match("^(.*)/[^/]*$")
local n = 0
local function ok(cond, what)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. what)
end

local f = io.open(dir .. "/lib/data.txt")
ok(f ~= nil, "io.open of a file in the tree")
ok(f:read("l") == "line one", "read a line")
ok(f:read("n") == 42, "read a number")
ok(f:seek("set", 5) == 5 and f:read(3) == "one", "seek and read")
ok(f:seek("end") == 17, "seek to the end gives the size")
ok(f:read("a") == "", "read at the end")
f:close()
local lines = {}
for l in io.lines(dir .. "/lib/data.txt") do lines[#lines + 1] = l end
ok(#lines == 3 and lines[3] == "last", "io.lines")
ok(dofile(dir .. "/lib/mod.lua").answer == 42, "dofile")
package.path = dir .. "/lib/?.lua"
ok(require("mod").answer == 42, "require through package.path")
local g, msg, code = io.open(dir .. "/missing.txt")
ok(g == nil and code == 2, "a missing file: ENOENT (" .. tostring(msg) .. ")")
g, msg, code = io.open(dir .. "/lib/data.txt", "w")
ok(g == nil and code == 30, "writing: EROFS (" .. tostring(msg) .. ")")
g, msg, code = io.open(dir .. "/lib/new.txt", "w")
ok(g == nil and code == 30, "creating in the tree: EROFS")
local r, rmsg, rcode = os.remove(dir .. "/lib/data.txt")
ok(r == nil and rcode == 30, "os.remove: EROFS")
r, rmsg, rcode = os.rename(dir .. "/lib/data.txt", dir .. "/x")
ok(r == nil and rcode == 30, "os.rename: EROFS")
local d = io.open(dir .. "/lib")
ok(d ~= nil and d:read(1) == nil, "a directory opens, reading it fails")
ok(loadfile(dir .. "/lib/mod.lua") ~= nil, "loadfile")
local big = io.open(dir .. "/lib/big.bin", "rb")
local data = big:read("a")
ok(#data == 100000 and data:sub(-5) == "end\n\0", "a 100000-byte file read whole")
big:close()
local many = {}
for i = 1, 20 do many[i] = assert(io.open(dir .. "/lib/mod.lua")) end
for i = 1, 20 do many[i]:close() end
ok(true, "20 files open at once, closed")
print("1.." .. n)
print("args: " .. table.concat({...}, ","))
