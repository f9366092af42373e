// Placeholder until the web UI lands: shows that the API answers.
const status = document.getElementById('status');
fetch('/readyz')
  .then((r) => r.json())
  .then((body) => { status.textContent = `Tack is ${body.status}.`; })
  .catch(() => { status.textContent = 'Tack is not answering.'; });
