" Vim filetype plugin for `.drop` files (dropc generative NFT collections).
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal formatoptions-=t formatoptions+=croql
" Names may contain `-` (`catmull-rom`, `Hair-Long`).
setlocal iskeyword+=-

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< iskeyword<'
