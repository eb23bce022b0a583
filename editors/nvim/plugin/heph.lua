-- plugin/heph.lua — :Heph and the heph://node/ID buffers (see lua/heph/init.lua).
if vim.g.loaded_heph then
	return
end
vim.g.loaded_heph = true

vim.api.nvim_create_user_command('Heph', function(opts) require('heph').command(opts.args) end, {
	nargs = '*',
	complete = function(arglead, cmdline) return require('heph').complete_command(arglead, cmdline) end,
	desc = 'heph: next, list [PROJECT], view NAME, search WORDS, add TEXT, done, edit, today, backlinks',
})

-- 'omnifunc' takes a Vim function name; this one hands over to Lua.
vim.cmd([[
function! HephOmnifunc(findstart, base) abort
	return luaeval('require("heph").omnifunc(_A[1], _A[2])', [a:findstart, a:base])
endfunction
]])

local group = vim.api.nvim_create_augroup('heph', { clear = true })
vim.api.nvim_create_autocmd('BufReadCmd', {
	group = group,
	pattern = 'heph://node/*',
	callback = function(ev) require('heph').read_cmd(ev.buf, ev.match) end,
})
vim.api.nvim_create_autocmd('BufWriteCmd', {
	group = group,
	pattern = 'heph://node/*',
	callback = function(ev) require('heph').write_cmd(ev.buf) end,
})
vim.api.nvim_create_autocmd('CompleteDone', {
	group = group,
	pattern = 'heph://node/*',
	callback = function() require('heph').complete_done() end,
})
