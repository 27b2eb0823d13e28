// Static files are read from disk on every request, so a synced edit here needs no restart
// (the onChange rule for static/** is action: none): reload the page to see it.
const show = (id, text) => { document.getElementById(id).textContent = text; };

fetch('/api/greeting')
  .then(r => r.json())
  .then(g => show('greeting', g.greeting))
  .catch(e => show('greeting', `greeting failed: ${e}`));

// web -> gateway -> catalog: the route line shows which gateway and catalog answered, which is
// how a service in dev mode (or intercepted to a laptop) becomes visible from the browser.
fetch('/api/items')
  .then(r => r.ok ? r.json() : r.text().then(t => Promise.reject(t)))
  .then(d => {
    const list = document.getElementById('items');
    list.replaceChildren(...d.items.map(i => {
      const li = document.createElement('li');
      li.textContent = `${i.name}: ${i.price} €`;
      return li;
    }));
    show('route', `via ${d.via}, catalog at ${d.catalog}`);
  })
  .catch(e => show('route', `items unavailable: ${e}`));
