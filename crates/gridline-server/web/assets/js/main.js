// gridline's web workbench: the page's entry module. Every page is drawn from the JSON API
// (/api/v1); the server has already checked that the signed-in role may open the page, and the
// API checks every action. The modules are described in docs/web.md.

// The offline queues first: on every page they send what they keep once the network is back.
import './outbox.js';
import { render } from './router.js';

window.addEventListener('popstate', render);
window.addEventListener('resize', () => document.querySelectorAll('.chart').forEach((el) => window.echarts?.getInstanceByDom(el)?.resize()));
render();
