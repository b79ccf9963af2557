/**
 * The console's stylesheet and its one small script, served from /console/assets/ (the
 * Content-Security-Policy allows no inline script or style). The pages work without the script;
 * it adds keyboard shortcuts and actions on the review queue without a page reload.
 */

export const consoleCss = `
:root{--bg:#f6f7f9;--fg:#1b1f24;--muted:#57606a;--card:#fff;--line:#d0d7de;--accent:#0a58ca;
--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--focus:#0a58ca;
--c-allow:#8c959f;--c-reply:#0969da;--c-review:#bf8700;--c-hide:#8250df;--c-delete:#cf222e}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}
header.top{background:#1b1f24;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:8px 16px}
header.top .brand{font-weight:700;color:#fff;text-decoration:none;margin-right:8px}
header.top nav{display:flex;flex-wrap:wrap;gap:2px}
header.top nav a{color:#e6edf3;text-decoration:none;padding:6px 10px;border-radius:6px}
header.top nav a[aria-current=page]{background:#fff;color:#1b1f24;font-weight:600}
header.top .who{margin-left:auto;display:flex;align-items:center;gap:8px;font-size:14px}
header.top .who button{background:transparent;color:#fff;border:1px solid #8c959f}
main{max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:4px 0 12px}h2{font-size:17px;margin:20px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px;margin:0 0 14px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
.grid>.card{margin:0}
.muted{color:var(--muted)}.small{font-size:13px}
.flash{padding:10px 12px;border-radius:6px;margin:0 0 12px;border:1px solid}
.flash.ok{background:#dafbe1;border-color:#4ac26b}.flash.err{background:#ffebe9;border-color:#ff8182}
button,.button{font:inherit;padding:7px 12px;border-radius:6px;border:1px solid var(--line);background:#fff;color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block;min-height:36px}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button kbd,.button kbd{background:transparent;color:inherit;border-color:currentColor}
button.danger{color:var(--bad);border-color:#ff8182}
button:hover{filter:brightness(.95)}
input,select,textarea{font:inherit;padding:7px 9px;border:1px solid #8c959f;border-radius:6px;background:#fff;color:var(--fg);max-width:100%}
textarea{width:100%;min-height:80px}
label{display:block;font-weight:600;font-size:13px;margin-bottom:3px}
.field{margin:0 0 10px}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px 12px;align-items:end}
form.filters input,form.filters select{width:100%}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;margin:0 2px;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid;white-space:nowrap}
.badge.ok{color:var(--ok);border-color:var(--ok)}.badge.warn{color:var(--warn);border-color:var(--warn)}
.badge.bad{color:var(--bad);border-color:var(--bad)}.badge.plain{color:var(--muted);border-color:var(--line)}
.a-allow{color:#57606a}.a-reply{color:#0969da}.a-review{color:#9a6700}.a-hide{color:#8250df}.a-delete{color:#cf222e}
blockquote.comment{margin:6px 0;padding:8px 12px;border-left:4px solid var(--line);background:#f6f8fa;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:10px;overflow-x:auto;font-size:13px;line-height:1.45;white-space:pre-wrap;word-break:break-word}
ul.queue{list-style:none;margin:0;padding:0}
ul.queue>li{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px;margin:0 0 10px}
ul.queue>li.current{border-color:var(--focus);box-shadow:0 0 0 2px var(--focus)}
ul.queue>li.gone{opacity:.5}
.meta{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;color:var(--muted)}
kbd{font:12px ui-monospace,monospace;border:1px solid #8c959f;border-bottom-width:2px;border-radius:4px;padding:0 4px;background:#fff}
.bars{list-style:none;margin:0;padding:0}
.bars li{display:grid;grid-template-columns:minmax(90px,40%) 1fr auto;gap:8px;align-items:center;margin:3px 0;font-size:14px}
.bars .bar{height:14px;background:#8250df;border-radius:3px;min-width:2px}
.bars .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.daychart{position:relative;display:flex;align-items:flex-end;gap:3px;height:180px;border-bottom:1px solid #8c959f;border-top:1px dashed var(--line);padding-left:28px}
.daychart .ymax{position:absolute;left:0;top:-2px;font-size:12px;color:var(--muted)}
.daychart .day{flex:1;height:100%;display:flex;flex-direction:column-reverse;min-width:0}
.daychart .day span{display:block;width:100%}
.daylabels{display:flex;gap:3px;padding-left:28px;font-size:11px;color:var(--muted);margin-top:2px}
.daylabels span{flex:1;min-width:0;white-space:nowrap;overflow:visible}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font:11px system-ui,sans-serif;fill:#57606a}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:13px;margin:6px 0 0;padding:0;list-style:none}
.legend .sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.stat{font-size:26px;font-weight:700;font-variant-numeric:tabular-nums}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.stats>div{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
details>summary{cursor:pointer;color:var(--accent)}
.login{max-width:380px;margin:10vh auto}
.login input{width:100%}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
dl.kv dt{color:var(--muted);font-size:13px}dl.kv dd{margin:0;word-break:break-word}
@media (max-width:640px){
 main{padding:10px}
 header.top{padding:8px 10px}
 header.top .who{margin-left:0;width:100%;justify-content:space-between}
 table.cards thead{display:none}
 table.cards tr{display:block;border:1px solid var(--line);border-radius:8px;margin:0 0 8px;background:#fff;padding:4px 0}
 table.cards td{display:block;position:relative;border:0;padding:3px 10px 3px calc(36% + 10px);min-height:24px;word-break:break-word}
 table.cards td::before{content:attr(data-label);position:absolute;left:10px;width:34%;color:var(--muted);font-size:12px;text-transform:uppercase;line-height:1.9}
 table.cards td.num{text-align:left}
 dl.kv{grid-template-columns:1fr}dl.kv dt{margin-top:6px}
 .hide-phone{display:none}
}
`;

/**
 * The review queue without reloads: each action form is sent with fetch (the server answers
 * JSON to `Accept: application/json`), the item leaves the list, and the next one takes the
 * focus. Keys: j/k next/previous, a approve, h hide, d delete (asks first), r reply, o open.
 */
export const consoleJs = `
(function(){
  var list=document.querySelector('ul.queue');
  if(!list)return;
  var status=document.getElementById('queue-status');
  function items(){return Array.prototype.slice.call(list.querySelectorAll('li[data-item]:not(.gone)'))}
  function current(){return list.querySelector('li.current')||items()[0]}
  function select(li){items().forEach(function(x){x.classList.remove('current')});if(li){li.classList.add('current');li.focus();}}
  function say(text){if(status)status.textContent=text}
  list.addEventListener('submit',function(ev){
    var form=ev.target;var li=form.closest('li[data-item]');if(!li)return;
    var kind=form.getAttribute('data-kind');
    if(kind==='delete'&&!window.confirm('Delete this comment on Instagram? It cannot be undone.')){ev.preventDefault();return;}
    ev.preventDefault();
    var buttons=form.querySelectorAll('button');buttons.forEach(function(b){b.disabled=true});
    fetch(form.getAttribute('action'),{method:'POST',body:new URLSearchParams(new FormData(form)),headers:{'accept':'application/json'},credentials:'same-origin'})
      .then(function(r){return r.json().then(function(j){return {ok:r.ok,j:j}})})
      .then(function(res){
        if(!res.ok){say(res.j.message||'failed');buttons.forEach(function(b){b.disabled=false});return;}
        var next=li.nextElementSibling;
        while(next&&next.classList.contains('gone'))next=next.nextElementSibling;
        li.classList.add('gone');li.setAttribute('aria-hidden','true');li.remove();
        say(res.j.message);
        var left=items();
        var count=document.getElementById('queue-count');if(count)count.textContent=String(left.length);
        if(left.length===0){var empty=document.getElementById('queue-empty');if(empty)empty.hidden=false;}
        select(next||left[left.length-1]);
      })
      .catch(function(){say('network error: try again');buttons.forEach(function(b){b.disabled=false});});
  });
  document.addEventListener('keydown',function(ev){
    if(ev.ctrlKey||ev.metaKey||ev.altKey)return;
    var t=ev.target;if(t&&(t.tagName==='INPUT'||t.tagName==='TEXTAREA'||t.tagName==='SELECT'))return;
    var li=current();if(!li)return;
    var all=items();var i=all.indexOf(li);
    function press(kind){var b=li.querySelector('form[data-kind='+kind+'] button');if(b){ev.preventDefault();b.click();}}
    switch(ev.key){
      case 'j':ev.preventDefault();select(all[Math.min(i+1,all.length-1)]);break;
      case 'k':ev.preventDefault();select(all[Math.max(i-1,0)]);break;
      case 'a':press('approve');break;
      case 'h':press('hide');break;
      case 'd':press('delete');break;
      case 'r':var m=li.querySelector('textarea[name=message]');if(m){ev.preventDefault();var d=m.closest('details');if(d)d.open=true;m.focus();}break;
      case 'o':var o=li.querySelector('a[data-open]');if(o){ev.preventDefault();o.click();}break;
    }
  });
  select(items()[0]);
})();
`;
