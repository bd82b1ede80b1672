/**
 * The page's script, inlined as text (the page may load nothing). It reads the timeline models from the
 * `racecheck-data` element and draws each timeline a screenful of rows at a time, so a trace of any length
 * costs a few hundred elements. Report text reaches the page only through `textContent` and `title`,
 * never as markup. Plain ES2017, no template literals, so it can live in this string.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var doc = document;
  doc.documentElement.classList.add('js');
  var dataNode = doc.getElementById('racecheck-data');
  var models = dataNode ? JSON.parse(dataNode.textContent || '[]') : [];
  var ROW = 44, ROW_ACCESS = 66, OVERSCAN = 6, MAX_FOLD_MARKS = 400;
  var PALETTE = ['#8250df', '#0a7d6c', '#bc4c00', '#116329', '#bf3989', '#6639ba', '#953800', '#1b7c83', '#a40e26', '#4d2d00'];
  var KINDS = ['start', 'await', 'timer'];
  var timelines = {};

  function el(tag, cls, text) {
    var node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function laneColor(l) { return PALETTE[l % PALETTE.length]; }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  function Timeline(root, model, index) {
    this.root = root;
    this.m = model;
    this.index = index;
    this.ready = false;
  }

  Timeline.prototype.init = function () {
    if (this.ready) return;
    this.ready = true;
    var m = this.m, n = m.lane.length, L = m.lanes.length, i, l;
    this.n = n;
    this.scroller = this.root.querySelector('.tl-scroll');
    this.head = this.root.querySelector('.tl-head');
    this.body = this.root.querySelector('.tl-body');
    // Each step's next step in the same lane, and each lane's first and last step.
    this.next = new Int32Array(n).fill(-1);
    this.first = new Int32Array(L).fill(-1);
    this.last = new Int32Array(L).fill(-1);
    var seen = new Int32Array(L).fill(-1);
    for (i = n - 1; i >= 0; i--) {
      l = m.lane[i];
      this.next[i] = seen[l];
      seen[l] = i;
      if (this.last[l] < 0) this.last[l] = i;
      this.first[l] = i;
    }
    this.blockedSite = new Int32Array(L).fill(-2);
    for (i = 0; i < m.blocked.length; i++) this.blockedSite[m.blocked[i].lane] = m.blocked[i].site;
    this.accessesAt = {};
    for (i = 0; i < m.accesses.length; i++) {
      var a = m.accesses[i];
      if (a.i < 0) continue;
      (this.accessesAt[a.i] = this.accessesAt[a.i] || []).push(i);
    }
    this.involved = [];
    this.anyInvolved = false;
    for (l = 0; l < L; l++) if (m.lanes[l].involved) { this.involved.push(l); this.anyInvolved = true; }
    // Whose suspension a row points out: the lanes of the conflict on the rows of its accesses or, without
    // an explanation, on every row, the two to four lanes that interleaved (those not folded as solo).
    this.watched = this.involved;
    this.noteAt = new Uint8Array(n);
    if (!this.anyInvolved) {
      var solo = new Uint8Array(L), rest = [];
      for (i = 0; i < m.folds.length; i++) if (m.folds[i].type === 'solo') for (var s = 0; s < m.folds[i].lanes.length; s++) solo[m.folds[i].lanes[s]] = 1;
      for (l = 0; l < L; l++) if (!solo[l] && this.first[l] >= 0) rest.push(l);
      if (rest.length >= 2 && rest.length <= 4) {
        this.watched = rest;
        for (i = 0; i < n; i++) {
          for (var w = 0; w < rest.length; w++) {
            var o = rest[w];
            if (o !== m.lane[i] && this.first[o] < i && (this.last[o] > i || this.blockedSite[o] !== -2)) { this.noteAt[i] = 1; break; }
          }
        }
      }
    }
    this.foldAt = new Int32Array(n).fill(-1);
    this.expanded = new Uint8Array(m.folds.length);
    for (i = 0; i < m.folds.length; i++) this.foldAt[m.folds[i].from] = i;
    this.selected = -1;
    this.selectedAccess = -1;
    this.flashIndex = -1;
    this.flashUntil = 0;
    this.window = '';
    this.withAccesses = m.accesses.some(function (a) { return a.i >= 0; });
    if (this.withAccesses) this.root.classList.add('with-acc');
    this.layout();
    this.toolbar();
    this.buildRows();
    var self = this, pending = false;
    this.scroller.addEventListener('scroll', function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; self.render(false); });
    });
    this.render(true);
  };

  Timeline.prototype.stepNumber = function (i) { return this.m.steps ? this.m.steps[i] : this.m.firstStep + i; };

  Timeline.prototype.indexOfStep = function (step) {
    if (!this.m.steps) { var i = step - this.m.firstStep; return i >= 0 && i < this.n ? i : -1; }
    return this.m.steps.indexOf(step);
  };

  // Lane widths: names side by side when a few short ones fit, otherwise narrow lanes with upright names.
  Timeline.prototype.layout = function () {
    var m = this.m, L = m.lanes.length, longest = 1, hasOrigin = false, l;
    for (l = 0; l < L; l++) {
      longest = Math.max(longest, m.lanes[l].name.length);
      if (m.lanes[l].origin !== null) hasOrigin = true;
    }
    var wide = Math.max(28, Math.min(120, Math.ceil(longest * 7.4 + 14)));
    // The lanes take at most about a third of the width, so that what each step did stays readable.
    var room = Math.max(240, Math.floor((this.root.clientWidth || 1000) * 0.36));
    this.vertical = L > 12 || wide * L > room;
    // Many lanes squeeze below a name's width (down to a stroke each): the step's text names its lane.
    this.laneW = this.vertical ? Math.max(1.5, Math.min(28, room / Math.max(L, 1))) : wide;
    this.named = this.laneW >= 9;
    this.headH = this.vertical ? Math.min(130, 22 + Math.min(longest, 16) * 7.2) : (hasOrigin ? 42 : 30);
    var lastStep = this.n > 0 ? this.stepNumber(this.n - 1) : 1;
    this.stepW = Math.ceil(18 + String(lastStep).length * 2 * 7.4 + 8);
    this.lanesW = Math.ceil(L * this.laneW) + 8;
    this.root.style.setProperty('--row', ROW + 'px');
    this.body.style.minWidth = (this.stepW + this.lanesW + 480) + 'px';
    this.drawHead();
  };

  Timeline.prototype.drawHead = function () {
    var m = this.m, head = this.head, l;
    head.textContent = '';
    head.style.height = this.headH + 'px';
    head.style.minWidth = (this.stepW + this.lanesW + 480) + 'px';
    if (this.vertical) head.classList.add('vertical');
    var step = el('div', 'h-step', 'step');
    step.style.width = this.stepW + 'px';
    var lanes = el('div', 'h-lanes');
    lanes.style.width = this.lanesW + 'px';
    lanes.style.height = this.headH + 'px';
    for (l = 0; l < m.lanes.length; l++) {
      var lane = m.lanes[l];
      var h = el('div', 'lane-h');
      h.style.left = (4 + l * this.laneW) + 'px';
      h.style.width = this.laneW + 'px';
      h.style.height = this.headH + 'px';
      h.style.color = laneColor(l);
      if (this.anyInvolved) h.classList.add(lane.involved ? 'involved' : 'dim');
      if (!this.named) h.classList.add(lane.involved ? 'overflow' : 'unnamed');
      h.appendChild(el('span', 'lane-name', lane.name));
      var title = lane.name;
      if (lane.origin !== null) {
        if (!this.vertical) h.appendChild(el('span', 'lane-origin', '\u21b3 ' + lane.origin));
        title += ' \u2014 an activity started by ' + lane.origin + (lane.originStep !== null ? ' at step ' + lane.originStep : '');
      }
      if (this.blockedSite[l] !== -2) title += ' \u2014 blocked forever';
      h.title = title;
      h.setAttribute('data-lane', lane.name);
      lanes.appendChild(h);
    }
    var detail = el('div', 'h-detail');
    detail.appendChild(el('span', null, 'what ran'));
    if (this.withAccesses) detail.appendChild(el('span', null, 'shared state it read and wrote'));
    head.appendChild(step);
    head.appendChild(lanes);
    head.appendChild(detail);
  };

  Timeline.prototype.toolbar = function () {
    var bar = this.root.querySelector('.tl-bar');
    var m = this.m;
    if (!bar) return;
    bar.insertBefore(el('span', null, plural(this.n, 'step') + ' \u00b7 ' + plural(m.lanes.length, 'lane') + ' \u00b7 a step runs one lane from an await to its next await, or to its end'), bar.firstChild);
    if (m.folds.length === 0) return;
    var self = this;
    var all = el('button', 'unfold-all', 'Unfold all');
    all.type = 'button';
    all.addEventListener('click', function () {
      var open = all.textContent === 'Unfold all';
      self.expanded.fill(open ? 1 : 0);
      all.textContent = open ? 'Fold all' : 'Unfold all';
      self.buildRows();
      self.render(true);
    });
    bar.appendChild(all);
  };

  // Rows: a step, or a fold of steps; heights differ (a step with accesses is taller), offsets are summed.
  Timeline.prototype.buildRows = function () {
    var m = this.m, n = this.n, from = [], to = [], fold = [], i = 0;
    this.rowOf = new Int32Array(n);
    while (i < n) {
      var f = this.foldAt[i];
      if (f >= 0 && !this.expanded[f]) {
        var end = m.folds[f].to;
        for (var k = i; k <= end; k++) this.rowOf[k] = from.length;
        from.push(i); to.push(end); fold.push(f);
        i = end + 1;
      } else {
        this.rowOf[i] = from.length;
        from.push(i); to.push(i); fold.push(-1);
        i++;
      }
    }
    var rows = from.length;
    this.rowFrom = from; this.rowTo = to; this.rowFold = fold; this.rows = rows;
    this.offset = new Float64Array(rows + 1);
    for (var r = 0; r < rows; r++) this.offset[r + 1] = this.offset[r] + (fold[r] < 0 && (this.accessesAt[from[r]] || this.noteAt[from[r]]) ? ROW_ACCESS : ROW);
    this.body.style.height = this.offset[rows] + 'px';
    // A lane's dashed line runs from its first row to its last, or to the end when it never finishes.
    var L = m.lanes.length;
    this.lifeFrom = new Int32Array(L);
    this.lifeTo = new Int32Array(L);
    for (var l = 0; l < L; l++) {
      this.lifeFrom[l] = this.first[l] < 0 ? -1 : this.rowOf[this.first[l]];
      this.lifeTo[l] = this.first[l] < 0 ? -1 : this.blockedSite[l] !== -2 ? rows - 1 : this.rowOf[this.last[l]];
    }
    this.window = '';
  };

  Timeline.prototype.rowAt = function (y) {
    var lo = 0, hi = this.rows - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (this.offset[mid] <= y) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  Timeline.prototype.render = function (force) {
    if (!this.ready || this.rows === 0) return;
    var top = this.scroller.scrollTop - this.body.offsetTop;
    var height = this.scroller.clientHeight || window.innerHeight;
    var r0 = Math.max(0, this.rowAt(Math.max(0, top)) - OVERSCAN);
    var r1 = Math.min(this.rows - 1, this.rowAt(Math.max(0, top + height)) + OVERSCAN);
    var key = r0 + ':' + r1;
    if (!force && key === this.window) return;
    this.window = key;
    var frag = doc.createDocumentFragment();
    for (var l = 0; l < this.m.lanes.length; l++) {
      var a = Math.max(this.lifeFrom[l], r0), b = Math.min(this.lifeTo[l], r1);
      if (this.lifeFrom[l] < 0 || b <= a) continue;
      // Hundreds of dashed strokes side by side say nothing: narrow lanes draw only the conflict's.
      if (this.laneW < 4 && !this.m.lanes[l].involved) continue;
      var line = el('div', 'life' + (this.anyInvolved && !this.m.lanes[l].involved ? ' dim' : ''));
      var x = Math.round(this.stepW + 4 + l * this.laneW + this.laneW / 2 - 1);
      var y0 = this.offset[a] + (this.offset[a + 1] - this.offset[a]) / 2;
      var y1 = this.offset[b] + (this.offset[b + 1] - this.offset[b]) / 2;
      line.style.left = x + 'px';
      line.style.top = y0 + 'px';
      line.style.height = (y1 - y0) + 'px';
      line.style.borderColor = laneColor(l);
      frag.appendChild(line);
    }
    for (var r = r0; r <= r1; r++) frag.appendChild(this.row(r));
    this.body.textContent = '';
    this.body.appendChild(frag);
  };

  Timeline.prototype.siteText = function (s) {
    var site = this.m.sites[s];
    if (!site) return '';
    return site[1] > 0 ? site[0] + ':' + site[1] + ':' + site[2] : site[3];
  };

  Timeline.prototype.mark = function (cell, l, extra) {
    var inset = this.laneW >= 20 ? 5 : this.laneW >= 5 ? 1 : 0;
    var mark = el('span', 'mark' + (this.m.lanes[l].origin !== null ? ' activity' : '') + (extra || ''));
    mark.style.left = (4 + l * this.laneW + inset) + 'px';
    mark.style.width = Math.max(2, this.laneW - 2 * inset) + 'px';
    mark.style.background = laneColor(l);
    cell.appendChild(mark);
    return mark;
  };

  Timeline.prototype.row = function (r) {
    var m = this.m, from = this.rowFrom[r], f = this.rowFold[r];
    var row = el('div', 'row');
    row.style.top = this.offset[r] + 'px';
    row.style.height = (this.offset[r + 1] - this.offset[r]) + 'px';
    var stepCell = el('div', 'c-step', f >= 0 ? this.stepNumber(from) + '\u2013' + this.stepNumber(this.rowTo[r]) : this.stepNumber(from));
    stepCell.style.width = this.stepW + 'px';
    var lanes = el('div', 'c-lanes');
    lanes.style.width = this.lanesW + 'px';
    var detail = el('div', 'c-detail');
    row.appendChild(stepCell);
    row.appendChild(lanes);
    row.appendChild(detail);
    if (f >= 0) {
      var fold = m.folds[f];
      row.className = 'row fold';
      row.setAttribute('data-fold', f);
      for (var k = 0; k < fold.lanes.length && k < MAX_FOLD_MARKS; k++) this.mark(lanes, fold.lanes[k]);
      var main = el('div', 'd-main');
      main.appendChild(el('span', 'd-fold', fold.label));
      var open = el('button', null, 'show ' + plural(fold.to - fold.from + 1, 'step'));
      open.type = 'button';
      open.setAttribute('data-fold', f);
      main.appendChild(open);
      detail.appendChild(main);
      return row;
    }
    var i = from, l = m.lane[i], lane = m.lanes[l], site = m.site[i];
    var accesses = this.accessesAt[i];
    row.setAttribute('data-i', i);
    row.setAttribute('data-step', this.stepNumber(i));
    row.setAttribute('data-lane', lane.name);
    if (accesses) row.classList.add('has-access');
    if (i === this.selected) row.classList.add('selected');
    if (i === this.flashIndex && Date.now() < this.flashUntil) row.classList.add('flash');
    var ops = '';
    if (accesses) {
      ops = ' acc-read';
      for (var q = 0; q < accesses.length; q++) if (m.accesses[accesses[q]].op === 'write') ops = ' acc-write';
    }
    var mark = this.mark(lanes, l, ops);
    mark.title = lane.name + ' ran step ' + this.stepNumber(i);

    var body = el('div', 'd-main');
    var head = el('div', 'd-head');
    var name = el('span', 'd-lane', lane.name);
    name.style.color = laneColor(l);
    head.appendChild(name);
    var kind = m.kind[i], siteRow = m.sites[site];
    var what;
    if (kind === 0) what = ' started';
    else if (kind === 1) what = siteRow ? (siteRow[1] > 0 ? ' resumed at ' : ' resumed in ') : ' resumed';
    else if (kind === 2) what = ' ' + (m.timers[m.timer[i]] || 'a timer') + ' fired' + (siteRow ? ' \u00b7 set at ' : '');
    else what = ' ' + (m.otherKinds[kind - KINDS.length] || 'step') + (siteRow ? ' at ' : '');
    head.appendChild(doc.createTextNode(what));
    if (siteRow) {
      var where = el('span', 'd-where', this.siteText(site));
      where.title = siteRow[4] + (siteRow[1] > 0 ? ':' + siteRow[1] + ':' + siteRow[2] : '');
      head.appendChild(where);
    }
    if (lane.origin !== null && i === this.first[l]) head.appendChild(el('span', 'd-next', ' \u00b7 started by ' + lane.origin + (lane.originStep !== null ? ' at step ' + lane.originStep : '')));
    var then = this.thenText(i, l);
    if (then) head.appendChild(el('span', 'd-next', ' ' + then));
    head.title = head.textContent;
    body.appendChild(head);
    if (siteRow && siteRow[1] > 0 && siteRow[3].trim()) {
      var code = el('div', 'd-code', siteRow[3].trim());
      code.title = siteRow[3];
      body.appendChild(code);
    }
    if (accesses || this.noteAt[i]) {
      var note = this.suspendedNote(i, l);
      if (note) body.appendChild(note);
    }
    detail.appendChild(body);
    if (accesses) detail.appendChild(this.chips(accesses));
    return row;
  };

  // What the lane did after this step: the await it paused at, the timer it waits for, or its end.
  Timeline.prototype.thenText = function (i, l) {
    var m = this.m, j = this.next[i];
    if (j >= 0) {
      if (m.kind[j] === 1 && m.site[j] >= 0) return '\u2192 awaits at ' + this.siteText(m.site[j]);
      if (m.kind[j] === 2) return '\u2192 waits for ' + (m.timers[m.timer[j]] || 'a timer');
      return '';
    }
    if (this.blockedSite[l] !== -2) return '\u2192 blocked forever' + (this.blockedSite[l] >= 0 ? ' at ' + this.siteText(this.blockedSite[l]) : '');
    return m.completed ? '\u2192 finished' : '';
  };

  // Which of the lanes in the conflict were suspended while this step ran, and where.
  Timeline.prototype.suspendedNote = function (i, l) {
    var m = this.m, parts = [];
    for (var k = 0; k < this.watched.length && parts.length < 3; k++) {
      var o = this.watched[k];
      if (o === l || this.first[o] < 0 || this.first[o] > i) continue;
      if (this.last[o] < i && this.blockedSite[o] === -2) continue;
      var j = this.nextStepAfter(o, i);
      var at = '';
      if (j >= 0 && m.kind[j] === 1 && m.site[j] >= 0) at = ' at ' + this.siteText(m.site[j]);
      else if (j >= 0 && m.kind[j] === 2) at = ', waiting for ' + (m.timers[m.timer[j]] || 'a timer');
      else if (j < 0 && this.blockedSite[o] >= 0) at = ' at ' + this.siteText(this.blockedSite[o]);
      parts.push([m.lanes[o].name, at]);
    }
    if (parts.length === 0) return null;
    var note = el('div', 'd-note', 'while ');
    for (var p = 0; p < parts.length; p++) {
      if (p > 0) note.appendChild(doc.createTextNode(', '));
      note.appendChild(el('b', null, parts[p][0]));
      note.appendChild(doc.createTextNode(' is suspended' + parts[p][1]));
    }
    note.title = note.textContent;
    return note;
  };

  Timeline.prototype.nextStepAfter = function (lane, i) {
    for (var j = i + 1; j < this.n; j++) if (this.m.lane[j] === lane) return j;
    return -1;
  };

  Timeline.prototype.chips = function (accesses) {
    var m = this.m, box = el('div', 'd-acc');
    for (var q = 0; q < accesses.length && q < 3; q++) {
      var n = accesses[q], a = m.accesses[n];
      var line = el('div', accesses.length === 1 ? 'chips stacked' : 'chips');
      var chip = el('a', 'chip op-' + a.op + (n === this.selectedAccess ? ' selected' : ''));
      chip.href = '#s' + this.index + '-access-' + n;
      chip.setAttribute('data-access', n);
      chip.setAttribute('data-to', 'panel');
      chip.appendChild(el('span', 'num', n + 1));
      chip.appendChild(el('span', 'op', (a.op === 'other' ? a.opName : a.op).toUpperCase()));
      chip.appendChild(doc.createTextNode(' ' + a.target + (a.value === null ? '' : a.op === 'write' ? ' \u2190 ' + a.value : ' \u2192 ' + a.value)));
      chip.title = chip.textContent;
      line.appendChild(chip);
      var site = m.sites[a.site];
      if (site) {
        var code = el('span', 'acc-code', (site[1] > 0 ? site[0] + ':' + site[1] + '  ' : '') + site[3].trim());
        code.title = site[4] + ':' + site[1] + ':' + site[2] + '  ' + site[3];
        line.appendChild(code);
      }
      box.appendChild(line);
    }
    if (accesses.length > 3) box.appendChild(el('div', 'acc-code', '+' + (accesses.length - 3) + ' more in the list above'));
    return box;
  };

  // Brings trace index i into view (unfolding it if needed), selects it and makes it flash.
  Timeline.prototype.goTo = function (i) {
    if (i < 0 || i >= this.n) return;
    this.init();
    var r = this.rowOf[i];
    if (this.rowFold[r] >= 0) {
      this.expanded[this.rowFold[r]] = 1;
      this.buildRows();
      r = this.rowOf[i];
    }
    this.selected = i;
    this.flashIndex = i;
    this.flashUntil = Date.now() + 1600;
    var top = this.offset[r], h = this.offset[r + 1] - top;
    this.scroller.scrollTop = Math.max(0, this.body.offsetTop + top - (this.scroller.clientHeight - h) / 2);
    this.render(true);
    var node = this.body.querySelector('.row[data-i="' + i + '"]');
    if (node) node.scrollIntoView({ block: 'nearest' });
  };

  Timeline.prototype.selectAccess = function (n, toPanel) {
    var a = this.m.accesses[n];
    if (!a) return;
    this.selectedAccess = n;
    var section = doc.getElementById('s' + this.index);
    var items = section.querySelectorAll('ol.accesses li');
    for (var k = 0; k < items.length; k++) items[k].classList.toggle('selected', items[k].getAttribute('data-access') === String(n));
    if (toPanel) {
      this.selected = a.i;
      this.render(true);
      var item = doc.getElementById('s' + this.index + '-access-' + n);
      if (item) {
        item.scrollIntoView({ block: 'center' });
        item.classList.remove('flash');
        void item.offsetWidth;
        item.classList.add('flash');
      }
    } else if (a.i >= 0) {
      this.goTo(a.i);
    }
  };

  Timeline.prototype.toggleFold = function (f) {
    this.expanded[f] = this.expanded[f] ? 0 : 1;
    this.buildRows();
    this.render(true);
  };

  var roots = doc.querySelectorAll('.timeline[data-model]');
  for (var t = 0; t < roots.length; t++) {
    var index = Number(roots[t].getAttribute('data-model'));
    if (models[index]) timelines[index] = new Timeline(roots[t], models[index], index);
  }

  var views = doc.querySelectorAll('.view');
  var navLinks = doc.querySelectorAll('nav.picker a[data-view]');
  function show(id) {
    var found = false, k;
    for (k = 0; k < views.length; k++) if (views[k].id === id) found = true;
    if (!found) id = views.length ? views[0].id : '';
    for (k = 0; k < views.length; k++) views[k].classList.toggle('current', views[k].id === id);
    for (k = 0; k < navLinks.length; k++) navLinks[k].classList.toggle('current', navLinks[k].getAttribute('data-view') === id);
    var match = /^s(\d+)$/.exec(id);
    if (match && timelines[match[1]]) timelines[match[1]].init();
    return id;
  }

  function navigate(hash, fromLoad) {
    var match = /^#s(\d+)(?:-(step|access)-(\d+))?$/.exec(hash || '');
    if (!match) {
      var shown = show((hash || '').slice(1));
      if (!fromLoad && shown) window.scrollTo(0, 0);
      return;
    }
    show('s' + match[1]);
    var tl = timelines[match[1]];
    if (!tl || !match[2]) { if (!fromLoad) window.scrollTo(0, 0); return; }
    if (match[2] === 'step') tl.goTo(tl.indexOfStep(Number(match[3])));
    else tl.selectAccess(Number(match[3]), false);
  }

  function copy(button) {
    var target = doc.getElementById(button.getAttribute('data-copy'));
    var text = target ? target.textContent : '';
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
      if (!ok && target) {
        var range = doc.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    }
    function fallback() {
      var area = el('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      doc.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = doc.execCommand('copy'); } catch (error) { ok = false; }
      doc.body.removeChild(area);
      return ok;
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback()); });
    } else {
      done(fallback());
    }
  }

  function sectionTimeline(node) {
    var section = node.closest('.scenario');
    return section ? timelines[section.getAttribute('data-index')] : undefined;
  }

  doc.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest('button');
    if (button) {
      if (button.hasAttribute('data-copy')) copy(button);
      else if (button.hasAttribute('data-fold')) {
        var tl = sectionTimeline(button);
        if (tl) tl.toggleFold(Number(button.getAttribute('data-fold')));
      }
      return;
    }
    var link = target.closest('a[href^="#"]');
    if (link) {
      event.preventDefault();
      var href = link.getAttribute('href');
      if (location.hash !== href) history.pushState(null, '', href);
      var chipTimeline = link.getAttribute('data-to') === 'panel' ? sectionTimeline(link) : undefined;
      if (chipTimeline) chipTimeline.selectAccess(Number(link.getAttribute('data-access')), true);
      else navigate(href, false);
      return;
    }
    var row = target.closest('.row[data-i]');
    if (row) {
      var rowTimeline = sectionTimeline(row);
      if (!rowTimeline) return;
      rowTimeline.selected = Number(row.getAttribute('data-i'));
      rowTimeline.render(true);
      history.replaceState(null, '', '#s' + rowTimeline.index + '-step-' + row.getAttribute('data-step'));
    }
  });
  window.addEventListener('popstate', function () { navigate(location.hash, false); });
  window.addEventListener('hashchange', function () { navigate(location.hash, false); });
  window.addEventListener('resize', function () {
    for (var k in timelines) if (timelines[k].ready) timelines[k].render(true);
  });
  navigate(location.hash, true);
})();
`;
