// PhòngHọp video page, served by the provincial server. Two ways in:
//   /video/join/{invite}                      a guest with an invitation link
//   /video/meeting/{meeting_id}#access_token= a member with a session token
// Signaling rides the live WebSocket (see the OpenAPI document, "Video signaling").
// Two peer connections: "publish" (we offer camera/mic/screen) and "subscribe" (the
// SFU offers what others publish). No external resources: everything is in this file.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const path = location.pathname.split("/").filter(Boolean);
  const guestToken = path[1] === "join" ? decodeURIComponent(path[2] || "") : null;
  const memberMeeting = path[1] === "meeting" ? decodeURIComponent(path[2] || "") : null;
  const hash = new URLSearchParams(location.hash.slice(1));
  const accessToken = hash.get("access_token");

  const state = {
    ws: null, me: null, role: null, meetingId: memberMeeting, iceServers: [],
    pub: null, sub: null, local: null, screen: null, micTrack: null,
    people: new Map(), tiles: new Map(), speaker: null, joined: false, left: false,
    pendingSub: [], pendingPub: [], errors: [], mutedByChair: false,
  };
  window.phonghop = state; // for tests and support staff: the live state of this page

  function status(text, error) {
    const s = $("status");
    s.textContent = text;
    s.className = error ? "error" : "";
  }
  function notice(text) {
    const n = $("notice");
    n.textContent = text;
    n.style.display = text ? "block" : "none";
  }
  function fmtTime(iso) {
    const d = new Date(iso);
    const parts = new Intl.DateTimeFormat("vi-VN", {
      timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hour12: false,
    }).formatToParts(d);
    const get = (t) => (parts.find((p) => p.type === t) || {}).value || "";
    return `${get("day")}/${get("month")}/${get("year")} ${get("hour")}:${get("minute")}`;
  }
  function send(msg) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
  }

  async function loadMeeting() {
    if (guestToken) {
      const r = await fetch(`/api/v1/video/invitations/${encodeURIComponent(guestToken)}`);
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        status(`Lời mời không hợp lệ: ${body.message || r.status} / Invalid invitation`, true);
        $("join").disabled = true;
        return false;
      }
      state.meetingId = body.meeting.id;
      $("title").firstChild.textContent = body.meeting.title + " ";
      $("when").textContent = `${fmtTime(body.meeting.starts_at)} · ${body.meeting.room} · Khách mời / Guest: ${body.name}`;
      const ol = $("agenda");
      ol.innerHTML = "";
      for (const item of body.meeting.agenda) {
        const li = document.createElement("li");
        li.textContent = item;
        ol.appendChild(li);
      }
    } else if (!accessToken || !memberMeeting) {
      status("Thiếu lời mời hoặc phiên đăng nhập / No invitation or session", true);
      $("join").disabled = true;
      return false;
    } else {
      // A member reads the meeting from the change feed, as every client does.
      const r = await fetch("/api/v1/changes?since=0&limit=5000", { headers: { authorization: `Bearer ${accessToken}` } });
      if (r.ok) {
        const page = await r.json();
        const m = page.changes.find((c) => c.type === "meeting" && c.id === memberMeeting);
        if (m) {
          $("title").firstChild.textContent = m.title + " ";
          $("when").textContent = `${fmtTime(m.starts_at)} · ${m.room}`;
        }
        const ol = $("agenda");
        ol.innerHTML = "";
        page.changes
          .filter((c) => c.type === "agenda_item" && c.meeting_id === memberMeeting)
          .sort((a, b) => a.position - b.position)
          .forEach((item) => {
            const li = document.createElement("li");
            li.textContent = item.title;
            ol.appendChild(li);
          });
      }
    }
    status("Sẵn sàng tham gia / Ready to join");
    return true;
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = guestToken ? `invite=${encodeURIComponent(guestToken)}` : `access_token=${encodeURIComponent(accessToken)}`;
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/live?${q}`);
    state.ws = ws;
    ws.onmessage = (ev) => {
      if (state.ws !== ws) return; // an earlier connection's last words
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      onMessage(msg).catch((e) => status(`Lỗi / Error: ${e.message || e}`, true));
    };
    ws.onclose = (ev) => {
      if (state.ws !== ws || state.left) return;
      if (ev.code === 1008 && guestToken) {
        status("Liên kết mời này đã được mở ở nơi khác hoặc đã bị thu hồi / This invitation link was opened elsewhere or withdrawn", true);
      } else if (ev.code === 1008) {
        status("Phiên làm việc đã kết thúc; vui lòng đăng nhập lại / The session has ended; please sign in again", true);
      } else {
        // Out of the room with the line: camera and microphone off, Join offered again.
        teardown();
        $("join").disabled = false;
        status("Mất kết nối máy chủ. Bấm “Tham gia” để vào lại / Disconnected from the server. Press Join to join again", true);
      }
    };
  }

  function pc(kind) {
    const conn = new RTCPeerConnection({ iceServers: state.iceServers, bundlePolicy: "max-bundle" });
    conn.onicecandidate = (e) => {
      if (e.candidate) send({ type: "video.candidate", pc: kind, candidate: e.candidate.toJSON() });
    };
    return conn;
  }

  async function publish() {
    const sources = {};
    for (const t of state.local.getTracks()) {
      state.pub.addTransceiver(t, { direction: "sendonly", streams: [state.local] });
      sources[t.id] = t.kind === "audio" ? "microphone" : "camera";
      if (t.kind === "audio") state.micTrack = t;
    }
    send({ type: "video.sources", sources });
    await offerPublish();
  }

  async function offerPublish() {
    const offer = await state.pub.createOffer();
    await state.pub.setLocalDescription(offer);
    send({ type: "video.offer", pc: "publish", sdp: state.pub.localDescription.sdp });
  }

  async function addCandidate(kind, candidate) {
    const conn = kind === "publish" ? state.pub : state.sub;
    if (!conn || !conn.remoteDescription) {
      (kind === "publish" ? state.pendingPub : state.pendingSub).push(candidate);
      return;
    }
    await conn.addIceCandidate(candidate).catch(() => {});
  }
  async function flush(kind) {
    const list = kind === "publish" ? state.pendingPub : state.pendingSub;
    const conn = kind === "publish" ? state.pub : state.sub;
    while (list.length) await conn.addIceCandidate(list.shift()).catch(() => {});
  }

  function personName(id) {
    const p = state.people.get(id);
    return p ? p.name : "…";
  }

  function renderPeople() {
    const ul = $("people");
    ul.innerHTML = "";
    for (const p of state.people.values()) {
      const li = document.createElement("li");
      const mic = p.tracks.find((t) => t.source === "microphone");
      li.textContent = p.name + (p.id === state.me ? " (bạn / you)" : "") + (mic && mic.muted ? " 🔇" : "");
      li.dataset.participant = p.id;
      ul.appendChild(li);
    }
    for (const [streamId, tile] of state.tiles) {
      if (streamId === "local") continue;
      const pid = streamId.split(":")[0];
      tile.querySelector(".who").textContent = personName(pid) + (streamId.endsWith(":screen") ? " — màn hình / screen" : "");
      const p = state.people.get(pid);
      const mic = p && p.tracks.find((t) => t.source === "microphone");
      tile.querySelector(".badge").style.display = mic && mic.muted ? "inline" : "none";
      tile.classList.toggle("speaking", pid === state.speaker);
    }
    $("speaker").textContent = state.speaker ? personName(state.speaker) : "—";
  }

  function tileFor(streamId, stream) {
    let tile = state.tiles.get(streamId);
    if (!tile) {
      tile = document.createElement("div");
      tile.className = "tile";
      tile.dataset.stream = streamId;
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      const name = document.createElement("div");
      name.className = "name";
      name.innerHTML = '<span class="who"></span><span class="badge" style="display:none">micrô tắt / muted</span><span class="mod"></span>';
      tile.append(video, name);
      const pid = streamId.split(":")[0];
      if (streamId !== "local" && (state.role === "chair" || state.role === "secretary")) {
        const mod = name.querySelector(".mod");
        const mute = document.createElement("button");
        mute.className = "mute";
        mute.textContent = "Tắt micrô";
        mute.title = "Mute this participant";
        mute.onclick = () => {
          const p = state.people.get(pid);
          const mic = p && p.tracks.find((t) => t.source === "microphone");
          send({ type: "video.mute", participant: pid, source: "microphone", muted: !(mic && mic.muted) });
        };
        const stop = document.createElement("button");
        stop.className = "stop-share";
        stop.textContent = "Dừng chia sẻ";
        stop.title = "Stop this participant's screen share";
        stop.onclick = () => send({ type: "video.stop_share", participant: pid });
        mod.append(mute, stop);
      }
      $("grid").appendChild(tile);
      state.tiles.set(streamId, tile);
    }
    const video = tile.querySelector("video");
    if (stream && video.srcObject !== stream) video.srcObject = stream;
    return tile;
  }

  function dropTilesNotIn(liveIds) {
    for (const [streamId, tile] of state.tiles) {
      if (streamId === "local") continue;
      if (!liveIds.has(streamId)) {
        tile.remove();
        state.tiles.delete(streamId);
      }
    }
  }

  function publishedIds() {
    const ids = new Set();
    for (const p of state.people.values()) {
      if (p.id === state.me) continue;
      for (const t of p.tracks) ids.add(t.id.replace(/:microphone$/, ":camera"));
    }
    return ids;
  }

  async function onMessage(msg) {
    switch (msg.type) {
      case "hello":
        send({ type: "video.join", meeting_id: state.meetingId });
        break;
      case "video.joined": {
        state.joined = true;
        state.me = msg.you.id;
        state.role = msg.you.role;
        state.iceServers = msg.ice_servers || [];
        for (const p of msg.participants.concat([msg.you])) state.people.set(p.id, p);
        status("Đã vào phòng họp / In the meeting");
        $("leave").disabled = false;
        $("mic").disabled = false;
        $("share").disabled = !navigator.mediaDevices.getDisplayMedia;
        const me = tileFor("local", state.local);
        me.querySelector("video").muted = true;
        me.querySelector(".who").textContent = `${msg.you.name} (bạn / you)`;
        state.pub = pc("publish");
        await publish();
        renderPeople();
        break;
      }
      case "video.answer":
        await state.pub.setRemoteDescription({ type: "answer", sdp: msg.sdp });
        await flush("publish");
        break;
      case "video.offer": {
        if (!state.sub) {
          state.sub = pc("subscribe");
          state.sub.ontrack = (e) => {
            const stream = e.streams[0];
            if (!stream) return;
            // Audio and video of one participant arrive as separate streams; the camera
            // tile plays both.
            const id = stream.id.replace(/:microphone$/, ":camera");
            const tile = tileFor(id);
            const video = tile.querySelector("video");
            const ms = video.srcObject instanceof MediaStream ? video.srcObject : new MediaStream();
            ms.addTrack(e.track);
            video.srcObject = ms;
            renderPeople();
          };
        }
        await state.sub.setRemoteDescription({ type: "offer", sdp: msg.sdp });
        const answer = await state.sub.createAnswer();
        await state.sub.setLocalDescription(answer);
        send({ type: "video.answer", pc: "subscribe", sdp: state.sub.localDescription.sdp });
        await flush("subscribe");
        break;
      }
      case "video.candidate":
        await addCandidate(msg.pc, msg.candidate);
        break;
      case "video.participant_joined":
      case "video.participant_updated":
        state.people.set(msg.participant.id, msg.participant);
        dropTilesNotIn(publishedIds());
        renderPeople();
        break;
      case "video.participant_left":
        state.people.delete(msg.participant);
        dropTilesNotIn(publishedIds());
        renderPeople();
        break;
      case "video.active_speaker":
        state.speaker = msg.participant;
        renderPeople();
        break;
      case "video.muted":
        if (msg.source === "microphone" && state.micTrack) {
          state.micTrack.enabled = !msg.muted;
          state.mutedByChair = msg.muted;
          $("mic").firstChild.textContent = msg.muted ? "Bật micrô " : "Tắt micrô ";
        }
        notice(msg.muted ? `${msg.by} đã tắt micrô của bạn / ${msg.by} muted your microphone` : `${msg.by} đã bật lại micrô của bạn / ${msg.by} unmuted you`);
        break;
      case "video.share_stopped":
        await stopShare();
        notice(`${msg.by} đã dừng chia sẻ màn hình của bạn / ${msg.by} stopped your screen share`);
        break;
      case "video.left":
        state.left = true;
        break;
      case "video.error":
        state.errors.push(msg);
        if (msg.code === "forbidden" || msg.code === "meeting_ended" || msg.code === "joined_elsewhere") {
          status(msg.code === "meeting_ended"
            ? "Cuộc họp đã kết thúc / The meeting has ended"
            : msg.code === "joined_elsewhere"
              ? "Bạn đã vào cuộc họp từ một thiết bị hoặc cửa sổ khác / You joined from another device or window"
              : "Bạn không có quyền tham gia cuộc họp này / You may not join this meeting", true);
          $("join").disabled = true;
          $("leave").disabled = true;
          for (const t of state.local ? state.local.getTracks() : []) t.stop();
        } else if (msg.code === "media_failed") {
          // The network dropped long enough for the media to fail: out of the room.
          teardown();
          if (state.ws) { state.left = true; state.ws.close(); }
          status("Mất kết nối hình và tiếng. Bấm “Tham gia” để vào lại / The media connection was lost. Press Join to join again", true);
          $("join").disabled = false;
        } else {
          status(`Lỗi / Error: ${msg.message}`, true);
        }
        break;
      default:
        break; // hello/changed/heartbeat of the live channel
    }
  }

  async function startShare() {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const track = display.getVideoTracks()[0];
    state.screen = { track, sender: state.pub.addTrack(track, display) };
    send({ type: "video.sources", sources: { [track.id]: "screen" } });
    track.onended = () => stopShare();
    $("share").firstChild.textContent = "Dừng chia sẻ ";
    await offerPublish();
  }
  async function stopShare() {
    if (!state.screen) return;
    const { track, sender } = state.screen;
    state.screen = null;
    track.stop();
    try { state.pub.removeTrack(sender); } catch { /* already gone */ }
    $("share").firstChild.textContent = "Chia sẻ màn hình ";
    await offerPublish();
  }

  $("join").onclick = async () => {
    $("join").disabled = true;
    // Joining again after the media connection failed starts afresh.
    state.left = false;
    state.pub = null;
    state.sub = null;
    status("Đang mở camera và micrô… / Opening camera and microphone…");
    try {
      state.local = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    } catch (e) {
      status(`Không mở được camera/micrô: ${e.message} / Cannot open camera or microphone`, true);
      $("join").disabled = false;
      return;
    }
    connect();
  };
  $("mic").onclick = () => {
    if (!state.micTrack || state.mutedByChair) return;
    state.micTrack.enabled = !state.micTrack.enabled;
    $("mic").firstChild.textContent = state.micTrack.enabled ? "Tắt micrô " : "Bật micrô ";
  };
  $("share").onclick = () => (state.screen ? stopShare() : startShare()).catch((e) => status(`Lỗi / Error: ${e.message}`, true));
  /** Out of the room: connections closed, camera, microphone and screen share off,
   *  tiles and the list of people gone, the buttons as before joining. */
  function teardown() {
    for (const c of [state.pub, state.sub]) if (c) c.close();
    for (const t of state.local ? state.local.getTracks() : []) t.stop();
    if (state.screen) state.screen.track.stop();
    state.screen = null;
    state.micTrack = null;
    state.mutedByChair = false;
    state.people.clear();
    renderPeople();
    state.speaker = null;
    state.pendingPub = [];
    state.pendingSub = [];
    $("share").firstChild.textContent = "Chia sẻ màn hình ";
    $("mic").firstChild.textContent = "Tắt micrô ";
    for (const tile of state.tiles.values()) tile.remove();
    state.tiles.clear();
    $("leave").disabled = true;
    $("mic").disabled = true;
    $("share").disabled = true;
  }
  $("leave").onclick = () => {
    send({ type: "video.leave" });
    state.left = true;
    teardown();
    status("Bạn đã rời cuộc họp / You left the meeting");
  };

  loadMeeting();
})();
