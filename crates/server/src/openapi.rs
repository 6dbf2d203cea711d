//! The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
//! A test checks that every route of the router is described here.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// The document never changes while the server runs: built and serialised once.
pub async fn serve() -> impl IntoResponse {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    let body =
        BODY.get_or_init(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.clone(),
    )
}

fn error_responses(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert(
            (*c).to_owned(),
            json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    Value::Object(m)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

pub fn document() -> Value {
    let mut doc = base_document();
    if let Some(paths) = doc["paths"].as_object_mut()
        && let Value::Object(more) = votes_paths()
    {
        paths.extend(more);
    }
    doc
}

/// The written-opinion ballot endpoints.
fn votes_paths() -> Value {
    let auth = json!([{"bearer": []}]);
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}]);
    let who = "For the chair and secretary of the ballot's meeting, and secretaries and admins; 404 for anyone else.";
    json!({
        "/opinions/{id}/stats": {"get": {
            "summary": "Statistics of a written-opinion ballot (phiếu lấy ý kiến): answered / not yet, per choice, per member",
            "description": who, "security": auth, "parameters": id,
            "responses": with(json!({"200": {"description": "OpinionStats", "content": {"application/json": {"schema": {"type": "object"}}}}}), error_responses(&["400","401","404"]))}},
        "/opinions/{id}/export.csv": {"get": {
            "summary": "The answers as CSV (UTF-8 with BOM), one row per member asked",
            "description": who, "security": auth, "parameters": id,
            "responses": with(json!({"200": {"description": "CSV", "content": {"text/csv": {}}}}), error_responses(&["400","401","404"]))}},
        "/opinions/{id}/export.xlsx": {"get": {
            "summary": "The statistics and the answers as an XLSX workbook (sheets Tổng hợp and Chi tiết)",
            "description": who, "security": auth, "parameters": id,
            "responses": with(json!({"200": {"description": "XLSX", "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}}), error_responses(&["400","401","404"]))}}
    })
}

fn base_document() -> Value {
    let auth = json!([{"bearer": []}]);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "PhòngHọp provincial server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Paperless meetings: accounts, meetings, agendas, signed documents, the change feed clients sync from, client ops, and the live channel."
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ["bad_request","bad_json","bad_op","bad_hash","hash_mismatch","not_pdf","payload_too_large","unauthenticated","bad_credentials","account_disabled","device_revoked","throttled","forbidden","not_found","method_not_allowed","conflict","range_not_satisfiable","validation","deadline_passed","bad_signature","internal"]},
                        "message": {"type": "string"}
                    }
                },
                "LoginRequest": {
                    "type": "object", "required": ["username", "password", "device"],
                    "properties": {
                        "username": {"type": "string"}, "password": {"type": "string"},
                        "device": {"type": "object", "required": ["id","name","public_key"], "properties": {
                            "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                            "public_key": {"type": "string", "description": "Ed25519 public key, 32 bytes, base64"}}}
                    }
                },
                "User": {"type": "object", "properties": {
                    "id": {"type": "string", "format": "uuid"}, "username": {"type": "string"}, "full_name": {"type": "string"},
                    "role": {"type": "string", "enum": ["admin","secretary","chair","delegate","guest"]},
                    "title": {"type": "string"}, "org_unit_id": {"type": ["string","null"]}, "disabled": {"type": "boolean"}}},
                "LoginResponse": {"type": "object", "properties": {
                    "token": {"type": "string"}, "user": {"$ref": "#/components/schemas/User"}, "server_time": {"type": "string", "format": "date-time"}}},
                "Change": {
                    "type": "object", "required": ["type"],
                    "description": "An entity (whole) or a tombstone, tagged by `type`.",
                    "properties": {"type": {"type": "string", "enum": ["user","org_unit","meeting","member","agenda_item","document","note","member_removed","agenda_item_removed","document_removed","note_deleted","meeting_revoked","poll","ballot","presence","speak_request","progress","opinion","opinion_answer"]}},
                    "additionalProperties": true
                },
                "ChangesPage": {"type": "object", "required": ["changes","cursor","more"], "properties": {
                    "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                    "cursor": {"type": "integer", "minimum": 0}, "more": {"type": "boolean"}}},
                "Op": {
                    "type": "object", "required": ["type"],
                    "properties": {"type": {"type": "string", "enum": ["meeting.create","meeting.update","meeting.publish","meeting.status","item.add","item.update","item.move","item.remove","document.attach","member.add","member.remove","note.put","note.delete","annotation.put","annotation.delete","attendance.set","speak.request","speak.withdraw","speak.grant","speak.end","agenda.current","present.page","present.stop","poll.create","poll.open","poll.close","ballot.cast","opinion.create","opinion.answer"]}},
                    "additionalProperties": true
                },
                "OpEnvelope": {"type": "object", "required": ["id","op"], "properties": {
                    "id": {"type": "string", "format": "uuid", "description": "UUIDv7 made by the client; the server applies each id at most once"},
                    "op": {"$ref": "#/components/schemas/Op"}}},
                "OpResult": {"type": "object", "required": ["id","status"], "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "status": {"type": "string", "enum": ["accepted","duplicate","rejected"]},
                    "code": {"type": "string"}, "message": {"type": "string"}}},
                "Blob": {"type": "object", "properties": {
                    "sha256": {"type": "string"}, "size": {"type": "integer"}, "pages": {"type": "integer"},
                    "signature": {"$ref": "#/components/schemas/SignatureSummary"}}},
                "SignatureSummary": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["not_checked","unsigned","valid","untrusted","modified_after_signing","invalid","unsupported"]},
                    "signer": {"type": ["string","null"]}, "organization": {"type": ["string","null"]},
                    "signing_time": {"type": ["string","null"]}, "why": {"type": "string"}}},
                "LiveMessage": {"type": "object", "required": ["type"], "properties": {
                    "type": {"type": "string", "enum": ["hello","changed","heartbeat","meeting"]},
                    "meeting_id": {"type": "string", "format": "uuid"}, "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                    "cursor": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}}}
            }
        },
        "paths": {
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/sessions": {"post": {
                "summary": "Log in on a device",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoginRequest"}}}},
                "responses": with(json!({"201": {"description": "Session opened", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoginResponse"}}}}}),
                    error_responses(&["400","401","403","413","422","429"]))
            }},
            "/sessions/current": {"delete": {"summary": "Log out", "security": auth,
                "responses": with(json!({"204": {"description": "Session ended"}}), error_responses(&["401"]))}},
            "/me": {"get": {"summary": "The caller", "security": auth,
                "responses": with(json!({"200": {"description": "User", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}), error_responses(&["401"]))}},
            "/trust": {"get": {"summary": "The root certificates (PEM) document signatures are checked against", "security": auth,
                "responses": with(json!({"200": {"description": "PEM texts", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}), error_responses(&["401"]))}},
            "/changes": {"get": {
                "summary": "The change feed: everything the caller may see that changed after `since`",
                "security": auth,
                "parameters": [
                    {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 500}}
                ],
                "responses": with(json!({"200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChangesPage"}}}}}), error_responses(&["400","401"]))
            }},
            "/ops": {"post": {
                "summary": "Apply a batch of client ops, each at most once",
                "security": auth,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["ops"], "properties": {"ops": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/OpEnvelope"}}}}}}},
                "responses": with(json!({"200": {"description": "Per-op outcome", "content": {"application/json": {"schema": {"type": "object", "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/OpResult"}}, "cursor": {"type": "integer"}}}}}}}), error_responses(&["400","401","413","422"]))
            }},
            "/blobs/{sha256}": {
                "parameters": [{"name": "sha256", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
                "get": {"summary": "Download a document file (Range, ETag, If-None-Match)", "security": auth,
                    "parameters": [{"name": "Range", "in": "header", "schema": {"type": "string"}}, {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
                    "responses": with(json!({"200": {"description": "The file", "content": {"application/pdf": {}}}, "206": {"description": "Part of the file"}, "304": {"description": "Not modified"}}), error_responses(&["400","401","404","416"]))},
                "put": {"summary": "Upload a document file (secretaries); the hash and PDF structure are checked", "security": auth,
                    "requestBody": {"required": true, "content": {"application/pdf": {}}},
                    "responses": with(json!({"201": {"description": "Stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Blob"}}}}, "200": {"description": "Already stored"}}), error_responses(&["400","401","403","413","415"]))}
            },
            "/live": {"get": {
                "summary": "WebSocket: `changed` whenever the feed moves, `heartbeat` periodically, `meeting` with the new state of a live meeting's polls, attendance, speaker queue and progress (to its members), and video signaling both ways (VideoClientMessage in, VideoServerMessage out). Token in the Authorization header or `?access_token=`; a guest without an account passes `?invite=TOKEN` and gets video signaling only. Only members of a published meeting (or guests invited to it) may `video.join` its room.",
                "security": auth,
                "parameters": [
                    {"name": "access_token", "in": "query", "schema": {"type": "string"}},
                    {"name": "invite", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": with(json!({"101": {"description": "Switching to WebSocket; JSON text frames", "content": {"application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/LiveMessage"},
                    {"$ref": "#/components/schemas/VideoServerMessage"}]}}}}}), error_responses(&["401","403","404"]))
            }}
        }
    });
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut()
        && let Value::Object(v) = video_schemas()
    {
        schemas.extend(v);
    }
    if let Some(paths) = doc["paths"].as_object_mut()
        && let Value::Object(v) = video_paths(&auth)
    {
        paths.extend(v);
    }
    doc
}

/// Video signaling messages (crates/rtc `signal`), carried on the live WebSocket.
fn video_schemas() -> Value {
    let mut m = serde_json::Map::new();
    for part in video_schemas_parts() {
        if let Value::Object(o) = part {
            m.extend(o);
        }
    }
    Value::Object(m)
}

fn video_schemas_parts() -> Vec<Value> {
    vec![
        json!({
                "VideoCandidate": {"type": "object", "required": ["candidate"], "description": "RTCIceCandidateInit", "properties": {
                    "candidate": {"type": "string"}, "sdpMid": {"type": ["string","null"]}, "sdpMLineIndex": {"type": ["integer","null"]}}}
        }),
        json!({
                "VideoTrack": {"type": "object", "required": ["id","source"], "properties": {
                    "id": {"type": "string", "description": "`{participant}:{source}`; the stream id (msid) of the track in the subscribe offer"},
                    "source": {"type": "string", "enum": ["camera","microphone","screen"]},
                    "layers": {"type": "array", "items": {"type": "string"}, "description": "simulcast RIDs offered"},
                    "muted": {"type": "boolean", "description": "muted by the chair"}}}
        }),
        json!({
                "VideoParticipant": {"type": "object", "required": ["id","name","role","tracks"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, "user_id": {"type": ["string","null"], "format": "uuid"},
                    "name": {"type": "string"}, "role": {"type": "string", "enum": ["chair","secretary","member","guest"]},
                    "tracks": {"type": "array", "items": {"$ref": "#/components/schemas/VideoTrack"}}}}
        }),
        json!({
                "VideoClientMessage": {
                    "description": "Client → server video signaling, a JSON text frame on the live WebSocket. Each participant has two peer connections: `publish` (the client offers camera/microphone/screen, the SFU answers; adding or stopping a source is a new offer) and `subscribe` (the SFU offers what the client subscribed to and offers again when tracks come and go; the client answers). ICE candidates trickle both ways.",
                    "oneOf": [
                        {"type": "object", "required": ["type","meeting_id"], "properties": {"type": {"const": "video.join"}, "meeting_id": {"type": "string", "format": "uuid"}, "name": {"type": "string", "description": "guests only"}}},
                        {"type": "object", "required": ["type","pc","sdp"], "properties": {"type": {"const": "video.offer"}, "pc": {"const": "publish"}, "sdp": {"type": "string"}}},
                        {"type": "object", "required": ["type","pc","sdp"], "properties": {"type": {"const": "video.answer"}, "pc": {"const": "subscribe"}, "sdp": {"type": "string"}}},
                        {"type": "object", "required": ["type","pc","candidate"], "properties": {"type": {"const": "video.candidate"}, "pc": {"enum": ["publish","subscribe"]}, "candidate": {"$ref": "#/components/schemas/VideoCandidate"}}},
                        {"type": "object", "required": ["type","sources"], "properties": {"type": {"const": "video.sources"}, "sources": {"type": "object", "additionalProperties": {"enum": ["camera","microphone","screen"]}, "description": "MediaStreamTrack id → source, sent before the offer that adds them"}}},
                        {"type": "object", "required": ["type","subscription"], "properties": {"type": {"const": "video.subscribe"}, "subscription": {"oneOf": [
                            {"type": "object", "properties": {"mode": {"const": "all"}}},
                            {"type": "object", "properties": {"mode": {"const": "tracks"}, "tracks": {"type": "array", "items": {"type": "string"}}}}]}}},
                        {"type": "object", "required": ["type","track","rid"], "properties": {"type": {"const": "video.layer"}, "track": {"type": "string"}, "rid": {"type": "string"}}},
                        {"type": "object", "required": ["type","participant","source","muted"], "description": "chair or secretary only; the SFU stops forwarding the source at once", "properties": {"type": {"const": "video.mute"}, "participant": {"type": "string", "format": "uuid"}, "source": {"enum": ["camera","microphone","screen"]}, "muted": {"type": "boolean"}}},
                        {"type": "object", "required": ["type","participant"], "description": "chair or secretary only", "properties": {"type": {"const": "video.stop_share"}, "participant": {"type": "string", "format": "uuid"}}},
                        {"type": "object", "required": ["type"], "properties": {"type": {"const": "video.leave"}}}
                    ]
                }
        }),
        json!({
                "VideoServerMessage": {
                    "description": "Server → client video signaling on the live WebSocket, next to `hello`/`changed`/`heartbeat`.",
                    "oneOf": [
                        {"type": "object", "properties": {"type": {"const": "video.joined"}, "meeting_id": {"type": "string"}, "you": {"$ref": "#/components/schemas/VideoParticipant"}, "participants": {"type": "array", "items": {"$ref": "#/components/schemas/VideoParticipant"}}, "ice_servers": {"type": "array", "items": {"type": "object"}}}},
                        {"type": "object", "properties": {"type": {"const": "video.offer"}, "pc": {"const": "subscribe"}, "sdp": {"type": "string"}}},
                        {"type": "object", "properties": {"type": {"const": "video.answer"}, "pc": {"const": "publish"}, "sdp": {"type": "string"}}},
                        {"type": "object", "properties": {"type": {"const": "video.candidate"}, "pc": {"enum": ["publish","subscribe"]}, "candidate": {"$ref": "#/components/schemas/VideoCandidate"}}},
                        {"type": "object", "properties": {"type": {"enum": ["video.participant_joined","video.participant_updated"]}, "participant": {"$ref": "#/components/schemas/VideoParticipant"}}},
                        {"type": "object", "properties": {"type": {"const": "video.participant_left"}, "participant": {"type": "string", "format": "uuid"}}},
                        {"type": "object", "properties": {"type": {"const": "video.active_speaker"}, "participant": {"type": ["string","null"], "format": "uuid"}}},
                        {"type": "object", "properties": {"type": {"const": "video.muted"}, "source": {"enum": ["camera","microphone","screen"]}, "muted": {"type": "boolean"}, "by": {"type": "string"}}},
                        {"type": "object", "properties": {"type": {"const": "video.share_stopped"}, "by": {"type": "string"}}},
                        {"type": "object", "properties": {"type": {"const": "video.left"}}},
                        {"type": "object", "properties": {"type": {"const": "video.error"}, "code": {"enum": ["forbidden","not_moderator","not_joined","already_joined","not_found","meeting_ended","joined_elsewhere","media_failed","bad_request","negotiation","internal"]}, "message": {"type": "string"}}}
                    ]
                }
        }),
    ]
}

fn video_paths(auth: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for part in video_path_parts(auth) {
        if let Value::Object(o) = part {
            m.extend(o);
        }
    }
    Value::Object(m)
}

fn video_path_parts(auth: &Value) -> Vec<Value> {
    vec![
        json!({
            "/meetings/{id}/video/invitations": {"post": {
                "summary": "Invite a guest without an account to the meeting's video (chair, secretary of the meeting, or admin). The guest opens `url` in any modern browser.",
                "security": auth.clone(),
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "maxLength": 80}, "valid_hours": {"type": "integer", "minimum": 1, "maximum": 720, "default": 48}}}}}},
                "responses": with(json!({"201": {"description": "Invitation", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "id": {"type": "string", "description": "Names the invitation to list or withdraw it"},
                    "token": {"type": "string"}, "url": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}}}}}}), error_responses(&["400","401","403","404","409","422"]))
            },
            "get": {
                "summary": "The meeting's guest links, newest first, and whether each guest is connected now (chair, secretary of the meeting, or admin). A link seats one connection: opening it again closes the connection before.",
                "security": auth.clone(),
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": with(json!({"200": {"description": "Invitations", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}, "connected": {"type": "boolean"}}}}}}}}), error_responses(&["401","403"]))
            }}
        }),
        json!({
            "/meetings/{id}/video/invitations/{inv}": {"delete": {
                "summary": "Withdraw a guest link: the page and the socket stop working, a connected guest leaves at once (chair, secretary of the meeting, or admin)",
                "security": auth.clone(),
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                               {"name": "inv", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": with(json!({"204": {"description": "Withdrawn"}}), error_responses(&["401","403","404"]))
            }}
        }),
        json!({
            "/meetings/{id}/video": {"get": {
                "summary": "Who is in the meeting's video room now (members)",
                "security": auth.clone(),
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": with(json!({"200": {"description": "The room", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "meeting_id": {"type": "string"}, "participants": {"type": "array", "items": {"$ref": "#/components/schemas/VideoParticipant"}}}}}}}}), error_responses(&["401","403"]))
            }}
        }),
        json!({
            "/video/invitations/{token}": {"get": {
                "summary": "What a guest's page shows: the meeting (title, room, time, agenda) and the guest's name. The token is the credential.",
                "parameters": [{"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": with(json!({"200": {"description": "The invitation", "content": {"application/json": {"schema": {"type": "object"}}}}}), error_responses(&["403","404"]))
            }}
        }),
    ]
}
