-- heph.rpc — the plugin's one way to reach heph: a method of the method
-- table, called through `heph call METHOD -` with the params on standard
-- input (a body of any size fits) and the result read as JSON. Nothing else
-- in the plugin runs heph.
--
-- vim.g.heph_command: the heph program, a string or a list (default "heph");
-- vim.g.heph_db: a database path passed as --db (default: heph's own, that is
-- $HEPH_DB or the XDG data directory).
local M = {}

local function command()
	local c = vim.g.heph_command or 'heph'
	local argv = type(c) == 'table' and vim.deepcopy(c) or { c }
	if vim.g.heph_db and vim.g.heph_db ~= '' then
		table.insert(argv, '--db')
		table.insert(argv, vim.fn.expand(vim.g.heph_db))
	end
	return argv
end

-- JSON null as Lua nil, recursively (vim.json gives vim.NIL).
local function denull(v)
	if v == vim.NIL then
		return nil
	end
	if type(v) == 'table' then
		for k, x in pairs(v) do
			v[k] = denull(x)
		end
	end
	return v
end

-- Call a method. Returns the result (nil fields for JSON null), or nil, the
-- error message heph printed and heph's exit status (6: conflict, 4: not
-- found; docs/reference/rpc.md).
function M.call(method, params)
	local argv = command()
	vim.list_extend(argv, { 'call', method, '-' })
	local out, err = {}, {}
	local ok, job = pcall(vim.fn.jobstart, argv, {
		stdout_buffered = true,
		stderr_buffered = true,
		on_stdout = function(_, data) out = data end,
		on_stderr = function(_, data) err = data end,
	})
	if not ok or job <= 0 then
		return nil, 'heph: cannot run ' .. argv[1] .. ' (set g:heph_command)', -1
	end
	-- an empty Lua table would be encoded as [] (params are an object)
	if params == nil or next(params) == nil then
		params = vim.empty_dict()
	end
	local text = vim.json.encode(params)
	vim.fn.chansend(job, text)
	vim.fn.chanclose(job, 'stdin')
	local code = vim.fn.jobwait({ job })[1]
	if code ~= 0 then
		local msg = vim.trim(table.concat(err, '\n'))
		return nil, msg ~= '' and msg or ('heph ' .. method .. ' failed (exit ' .. code .. ')'), code
	end
	local dok, result = pcall(vim.json.decode, table.concat(out, '\n'))
	if not dok then
		return nil, 'heph ' .. method .. ': unreadable answer: ' .. tostring(result), -1
	end
	return denull(result)
end

-- A paged read (task.list, tag.list: docs/reference/rpc.md, "Paged
-- reads") to its last page: the rows under member of every page, in order,
-- following next_cursor; or nil, message, status as call() fails.
function M.call_all(method, params, member)
	local rows, p = {}, vim.deepcopy(params or {})
	-- g:heph_page_size: rows a page (default: the method's own)
	if vim.g.heph_page_size then
		p.limit = vim.g.heph_page_size
	end
	while true do
		local r, msg, code = M.call(method, p)
		if r == nil then
			return nil, msg, code
		end
		vim.list_extend(rows, r[member] or {})
		if not r.next_cursor then
			return rows
		end
		p.cursor = r.next_cursor
	end
end

return M
