(function(){
  var rows=[].slice.call(document.querySelectorAll('#changes tbody tr'));
  var source=document.getElementById('f-source'), kind=document.getElementById('f-kind');
  function apply(){
    var shown=0;
    rows.forEach(function(r){
      var ok=(!source.value||r.dataset.source===source.value)&&(!kind.value||r.dataset.kind===kind.value);
      if(ok){r.removeAttribute('hidden');shown++;}else{r.setAttribute('hidden','');}
    });
    document.getElementById('count').textContent=shown+' of '+rows.length+' change(s) shown';
  }
  function fromHash(){
    var h=new URLSearchParams(location.hash.slice(1));
    source.value=h.get('source')||''; kind.value=h.get('kind')||''; apply();
  }
  function toHash(){
    var h=new URLSearchParams();
    if(source.value)h.set('source',source.value); if(kind.value)h.set('kind',kind.value);
    history.replaceState(null,'','#'+h.toString()); apply();
  }
  source.addEventListener('change',toHash); kind.addEventListener('change',toHash);
  window.addEventListener('hashchange',fromHash); fromHash();
})();
