//! Phiếu lấy ý kiến for the secretary: statistics as JSON, and the table of answers as
//! CSV or XLSX, for the chair and secretary of the ballot's meeting (and secretaries and
//! admins).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use phonghop_domain::opinion::{self, OpinionStats};
use phonghop_domain::{ErrorCode, Id, OpinionChoice};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use crate::AppState;
use crate::auth::Authed;
use crate::error::{ApiError, ApiJson, ApiResult};

async fn load(app: &Arc<AppState>, auth: Authed, id: &str) -> ApiResult<OpinionStats> {
    let id = Id::parse_str(id)
        .map_err(|_| ApiError::bad_request(ErrorCode::BadRequest, "not a ballot id"))?;
    let store = app.store.clone();
    let stats = tokio::task::spawn_blocking(move || store.opinion_stats(&auth.user, id)).await??;
    Ok(stats)
}

/// `GET /api/v1/opinions/{id}/stats`.
pub async fn stats(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<OpinionStats>> {
    Ok(ApiJson(load(&app, auth, &id).await?))
}

fn attachment(body: Vec<u8>, content_type: &'static str, name: String) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

fn file_name(stats: &OpinionStats, ext: &str) -> String {
    let id = stats.ballot_id.to_string();
    format!("phieu-lay-y-kien-{}.{ext}", &id[id.len() - 8..])
}

/// `GET /api/v1/opinions/{id}/export.csv`.
pub async fn export_csv(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let stats = load(&app, auth, &id).await?;
    Ok(attachment(
        opinion::to_csv(&stats).into_bytes(),
        "text/csv; charset=utf-8",
        file_name(&stats, "csv"),
    ))
}

/// `GET /api/v1/opinions/{id}/export.xlsx`.
pub async fn export_xlsx(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let stats = load(&app, auth, &id).await?;
    let bytes = tokio::task::spawn_blocking({
        let stats = stats.clone();
        move || to_xlsx(&stats)
    })
    .await?
    .map_err(ApiError::internal)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name(&stats, "xlsx"),
    ))
}

/// Two sheets: "Tổng hợp" (the question, the deadline and the counts) and "Chi tiết"
/// (one row per member asked).
pub fn to_xlsx(stats: &OpinionStats) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);

    let sum = wb.add_worksheet().set_name("Tổng hợp")?;
    sum.write_string_with_format(0, 0, "KẾT QUẢ LẤY Ý KIẾN", &title)?;
    sum.write_string(1, 0, "Nội dung")?;
    sum.write_string(1, 1, &stats.question)?;
    sum.write_string(2, 0, "Hạn trả lời")?;
    sum.write_string(2, 1, opinion::vn_time(stats.deadline))?;
    let rows: [(&str, u32); 6] = [
        ("Số thành viên được lấy ý kiến", stats.asked),
        ("Đã trả lời", stats.answered),
        ("Chưa trả lời", stats.not_answered),
        (OpinionChoice::Agree.label_vi(), stats.agree),
        (OpinionChoice::Disagree.label_vi(), stats.disagree),
        (OpinionChoice::Other.label_vi(), stats.other),
    ];
    for (i, (label, n)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        sum.write_string_with_format(r, 0, *label, &bold)?;
        sum.write_number(r, 1, f64::from(*n))?;
    }
    sum.set_column_width(0, 34)?;
    sum.set_column_width(1, 60)?;

    let det = wb.add_worksheet().set_name("Chi tiết")?;
    let header = [
        "STT",
        "Họ và tên",
        "Tài khoản",
        "Chức vụ",
        "Ý kiến",
        "Nội dung ý kiến",
        "Thời điểm trả lời",
    ];
    for (c, h) in header.iter().enumerate() {
        det.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, m) in stats.members.iter().enumerate() {
        let r = 1 + i as u32;
        det.write_number(r, 0, (i + 1) as f64)?;
        det.write_string(r, 1, &m.full_name)?;
        det.write_string(r, 2, &m.username)?;
        det.write_string(r, 3, &m.title)?;
        det.write_string(r, 4, m.choice.map_or("Chưa trả lời", |c| c.label_vi()))?;
        det.write_string_with_format(r, 5, &m.comment, &wrap)?;
        det.write_string(
            r,
            6,
            m.answered_at.map(opinion::vn_time).unwrap_or_default(),
        )?;
    }
    for (c, w) in [6.0, 28.0, 14.0, 30.0, 16.0, 60.0, 22.0].iter().enumerate() {
        det.set_column_width(c as u16, *w)?;
    }
    wb.save_to_buffer()
}
