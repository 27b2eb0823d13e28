// Static files sync without a restart (onChange: static/** -> none).
fetch('/api/greeting').then(r => r.json()).then(g => { document.getElementById('greeting').textContent = g.greeting; });
fetch('/api/items').then(r => r.json()).then(d => {
  document.getElementById('items').innerHTML = d.items.map(i => `<li>${i.name}: ${i.price} €</li>`).join('');
});
