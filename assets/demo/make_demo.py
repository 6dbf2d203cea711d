#!/usr/bin/env python3
"""Generate the demo province "UBND tỉnh Quảng Bình": province.json (org units, users,
three meetings with agendas), signed Vietnamese PDFs for every agenda document, the
demo root certificate (trust/demo-root-ca.pem) and manifest.json.

Run with the pdfkit venv (see tools/pdfkit/README.md):

    $HOME/.cache/phonghop/venv/bin/python assets/demo/make_demo.py

Private keys live in assets/demo/.keys/ (git-ignored) and are reused when present, so
regenerating keeps the same root certificate. Pass --new-pki to make new keys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tools"))

from cryptography.hazmat.primitives import hashes  # noqa: E402

from pdfkit import corpus, pki, sign, vnpdf  # noqa: E402
from pdfkit.vnpdf import Signatory  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KEYS = HERE / ".keys"
TRUST = HERE / "trust" / "demo-root-ca.pem"

TODAY = dt.datetime.now(TZ).date()
PAST = TODAY - dt.timedelta(days=7)
Y = TODAY.year
M_PAST = PAST.month
M_NEXT = PAST.month % 12 + 1

PROVINCE = "UBND tỉnh Quảng Bình"
PASSWORD = "phonghop-demo"

# ------------------------------------------------------------------ org and users

ORG_UNITS = [
    {"key": "vp", "name": "Văn phòng UBND tỉnh", "parent": None},
    {"key": "stttt", "name": "Sở Thông tin và Truyền thông", "parent": None},
    {"key": "ttcntt", "name": "Trung tâm Công nghệ thông tin và Truyền thông", "parent": "stttt"},
    {"key": "skhdt", "name": "Sở Kế hoạch và Đầu tư", "parent": None},
    {"key": "stc", "name": "Sở Tài chính", "parent": None},
    {"key": "ubnd-donghoi", "name": "UBND thành phố Đồng Hới", "parent": None},
]

# username, full name, role, title (chức vụ), org unit
USERS = [
    ("admin", "Đặng Quốc Việt", "admin", "Quản trị hệ thống", "vp"),
    ("thuky", "Nguyễn Thị Thanh Hương", "secretary", "Phó Chánh Văn phòng UBND tỉnh", "vp"),
    ("chutoa", "Võ Đình Khang", "chair", "Chủ tịch UBND tỉnh", "vp"),
    ("daibieu01", "Trương Minh Đức", "delegate", "Phó Chủ tịch Thường trực UBND tỉnh", "vp"),
    ("daibieu02", "Phạm Thị Lan Anh", "delegate", "Phó Chủ tịch UBND tỉnh", "vp"),
    ("daibieu03", "Hoàng Minh Tuấn", "delegate", "Chánh Văn phòng UBND tỉnh", "vp"),
    ("daibieu04", "Nguyễn Hữu Phước", "delegate", "Giám đốc Sở Thông tin và Truyền thông", "stttt"),
    ("daibieu05", "Đỗ Thị Ngọc Bích", "delegate", "Phó Giám đốc Sở Thông tin và Truyền thông", "stttt"),
    ("daibieu06", "Trần Đức Huy", "delegate", "Giám đốc Trung tâm Công nghệ thông tin và Truyền thông", "ttcntt"),
    ("daibieu07", "Lê Quang Vinh", "delegate", "Giám đốc Sở Kế hoạch và Đầu tư", "skhdt"),
    ("daibieu08", "Bùi Thị Hồng Nhung", "delegate", "Phó Giám đốc Sở Kế hoạch và Đầu tư", "skhdt"),
    ("daibieu09", "Cao Xuân Trường", "delegate", "Giám đốc Sở Tài chính", "stc"),
    ("daibieu10", "Đinh Thị Mai Phương", "delegate", "Trưởng phòng Quản lý ngân sách, Sở Tài chính", "stc"),
    ("daibieu11", "Ngô Văn Lực", "delegate", "Chủ tịch UBND thành phố Đồng Hới", "ubnd-donghoi"),
    ("daibieu12", "Hồ Thị Kim Oanh", "delegate", "Phó Chủ tịch UBND thành phố Đồng Hới", "ubnd-donghoi"),
    ("daibieu13", "Dương Công Minh", "delegate", "Phó Chánh Văn phòng UBND tỉnh", "vp"),
    ("daibieu14", "Mai Thế Hùng", "delegate", "Trưởng phòng Bưu chính, Viễn thông, Sở Thông tin và Truyền thông", "stttt"),
    ("daibieu15", "Lương Thị Thảo", "delegate", "Phó Giám đốc Trung tâm Công nghệ thông tin và Truyền thông", "ttcntt"),
    ("khach01", "Tạ Minh Khoa", "guest", "Giám đốc Viễn thông Quảng Bình (khách mời)", "stttt"),
    ("khach02", "Vũ Thị Hải Yến", "guest", "Phóng viên Báo Quảng Bình (khách mời)", "vp"),
]
NAME = {u[0]: u[1] for u in USERS}
TITLE = {u[0]: u[3] for u in USERS}

# The official whose certificate signs every demo document.
SIGNER_USER = "daibieu03"


def presenter(username: str) -> str:
    return f"{NAME[username]}, {TITLE[username]}"


# ---------------------------------------------------------------- issuing bodies


@dataclass
class Issuer:
    header: tuple[str, ...]
    unit: str  # as named in running text
    report_suffix: str
    proposal_suffix: str
    signatory: list[str]
    signer_user: str
    distribution: list[str]
    place: str = "Quảng Bình"


ISSUERS = {
    "ubnd": Issuer(
        ("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG BÌNH"), "Ủy ban nhân dân tỉnh", "BC-UBND", "TTr-UBND",
        ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "daibieu01",
        ["Như trên;", "TT Tỉnh ủy, TT HĐND tỉnh;", "Chủ tịch, các PCT UBND tỉnh;", "Các sở, ban, ngành cấp tỉnh;",
         "UBND các huyện, thị xã, thành phố;", "Lưu: VT, KGVX."],
    ),
    "ubnd-ct": Issuer(
        ("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG BÌNH"), "Ủy ban nhân dân tỉnh", "BC-UBND", "TTr-UBND",
        ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "chutoa",
        ["Như trên;", "TT Tỉnh ủy;", "Các Ban HĐND tỉnh;", "Đại biểu HĐND tỉnh;", "Chủ tịch, các PCT UBND tỉnh;",
         "Lưu: VT, TH."],
    ),
    "vp": Issuer(
        ("UBND TỈNH QUẢNG BÌNH", "VĂN PHÒNG"), "Văn phòng Ủy ban nhân dân tỉnh", "BC-VPUBND", "TTr-VPUBND",
        ["CHÁNH VĂN PHÒNG"], "daibieu03",
        ["UBND tỉnh (b/c);", "Chủ tịch, các PCT UBND tỉnh;", "Lãnh đạo Văn phòng;", "Lưu: VT, HCTC."],
    ),
    "stttt": Issuer(
        ("UBND TỈNH QUẢNG BÌNH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"), "Sở Thông tin và Truyền thông", "BC-STTTT", "TTr-STTTT",
        ["GIÁM ĐỐC"], "daibieu04",
        ["UBND tỉnh (b/c);", "Ban Chỉ đạo CĐS tỉnh;", "Giám đốc, các PGĐ Sở;", "Lưu: VT, BCVT."],
    ),
    "ttcntt": Issuer(
        ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "TRUNG TÂM CÔNG NGHỆ THÔNG TIN VÀ TRUYỀN THÔNG"),
        "Trung tâm Công nghệ thông tin và Truyền thông", "BC-TTCNTT", "TTr-TTCNTT",
        ["GIÁM ĐỐC"], "daibieu06",
        ["Sở Thông tin và Truyền thông (b/c);", "Văn phòng UBND tỉnh;", "Lưu: VT, KT."],
    ),
    "skhdt": Issuer(
        ("UBND TỈNH QUẢNG BÌNH", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"), "Sở Kế hoạch và Đầu tư", "BC-SKHĐT", "TTr-SKHĐT",
        ["GIÁM ĐỐC"], "daibieu07",
        ["UBND tỉnh (b/c);", "Sở Tài chính;", "Lãnh đạo Sở;", "Lưu: VT, TH."],
    ),
    "stc": Issuer(
        ("UBND TỈNH QUẢNG BÌNH", "SỞ TÀI CHÍNH"), "Sở Tài chính", "BC-STC", "TTr-STC",
        ["GIÁM ĐỐC"], "daibieu09",
        ["UBND tỉnh (b/c);", "Sở Kế hoạch và Đầu tư;", "Lãnh đạo Sở;", "Lưu: VT, QLNS."],
    ),
    "donghoi": Issuer(
        ("ỦY BAN NHÂN DÂN", "THÀNH PHỐ ĐỒNG HỚI"), "Ủy ban nhân dân thành phố Đồng Hới", "BC-UBND", "TTr-UBND",
        ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "daibieu11",
        ["UBND tỉnh (b/c);", "Sở Thông tin và Truyền thông;", "TT Thành ủy, TT HĐND thành phố;", "Lưu: VT."],
        place="Đồng Hới",
    ),
}

# ---------------------------------------------------------------- meetings spec


@dataclass
class Doc:
    kind: str  # proposal | draft_resolution | report | draft_conclusion
    subject: str
    issuer: str  # key of ISSUERS
    focus: list[str]  # corpus theme keys
    pages: int
    classification: str = "public"
    subfilter: str = sign.PADES


@dataclass
class Item:
    title: str
    presenter: str  # username
    minutes: int
    docs: list[Doc]


@dataclass
class Meeting:
    key: str
    title: str
    kind: str
    room: str
    day_offset: int
    start: str
    end: str
    status: str
    items: list[Item]
    members: list[dict] = field(default_factory=list)


P, NQ, BC, KL = "proposal", "draft_resolution", "report", "draft_conclusion"

MEETINGS = [
    Meeting(
        "past",
        f"Phiên họp thường kỳ UBND tỉnh tháng {M_PAST} năm {PAST.year}",
        "regular",
        "Phòng họp số 1, Trụ sở UBND tỉnh",
        -7, "08:00", "11:30", "ended",
        [
            Item(f"Tình hình kinh tế - xã hội tháng {M_PAST}, nhiệm vụ trọng tâm tháng {M_NEXT}", "daibieu07", 30, [
                Doc(BC, f"Tình hình kinh tế - xã hội tháng {M_PAST} và nhiệm vụ, giải pháp trọng tâm tháng {M_NEXT}", "ubnd", ["ktxh", "dautu"], 5),
            ]),
            Item(f"Dự toán thu, chi ngân sách nhà nước năm {Y + 1}", "daibieu09", 35, [
                Doc(P, f"Về việc dự toán thu ngân sách nhà nước trên địa bàn, thu, chi ngân sách địa phương năm {Y + 1}", "ubnd-ct", ["taichinh", "ktxh"], 4),
                Doc(NQ, f"Về dự toán thu, chi ngân sách địa phương và phương án phân bổ ngân sách cấp tỉnh năm {Y + 1}", "ubnd", ["taichinh", "dautu"], 3, "internal", sign.PKCS7),
            ]),
            Item("Điều chỉnh kế hoạch đầu tư công trung hạn giai đoạn 2026 - 2030", "daibieu08", 30, [
                Doc(P, "Về việc điều chỉnh kế hoạch đầu tư công trung hạn giai đoạn 2026 - 2030", "ubnd-ct", ["dautu", "taichinh"], 3),
                Doc(BC, "Kết quả rà soát, điều chỉnh kế hoạch đầu tư công trung hạn", "skhdt", ["dautu", "ktxh"], 4, "internal"),
            ]),
            Item("Đề án chuyển đổi số tỉnh Quảng Bình đến năm 2030", "daibieu04", 35, [
                Doc(P, "Về việc ban hành Nghị quyết về chuyển đổi số tỉnh Quảng Bình đến năm 2030", "ubnd-ct", ["cqdt", "dungchung", "nhanluc"], 5),
                Doc(NQ, "Về chuyển đổi số tỉnh Quảng Bình đến năm 2030, định hướng đến năm 2035", "ubnd", ["cqdt", "nhanluc"], 4),
                Doc(BC, "Đánh giá tác động của chính sách chuyển đổi số đến năm 2030", "stttt", ["cqdt", "tuyentruyen"], 3),
            ]),
            Item("Kết quả cải cách hành chính và dịch vụ công trực tuyến toàn trình", "daibieu03", 25, [
                Doc(BC, f"Kết quả cải cách hành chính, cung cấp dịch vụ công trực tuyến từ đầu năm {Y} đến nay", "vp", ["dvc", "dungchung"], 4, subfilter=sign.PKCS7),
            ]),
            Item("Phương án đầu tư hạ tầng đô thị thông minh thành phố Đồng Hới", "daibieu11", 25, [
                Doc(P, "Về việc đề nghị hỗ trợ kinh phí đầu tư hạ tầng đô thị thông minh thành phố Đồng Hới", "donghoi", ["xa", "ioc"], 3),
                Doc(BC, "Hiện trạng và nhu cầu đầu tư hạ tầng đô thị thông minh", "donghoi", ["xa", "bangthong"], 2),
            ]),
            Item("Kết luận của Chủ tịch UBND tỉnh", "chutoa", 15, [
                Doc(KL, f"Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại phiên họp thường kỳ tháng {M_PAST} năm {PAST.year}", "ubnd", ["ktxh", "dautu", "cqdt"], 3),
            ]),
        ],
    ),
    Meeting(
        "today",
        "Cuộc họp rà soát, đánh giá và giải pháp thúc đẩy xây dựng Chính quyền điện tử tỉnh Quảng Bình",
        "thematic",
        "Phòng họp trực tuyến, Trụ sở UBND tỉnh (kết nối các điểm cầu huyện, thị xã, thành phố)",
        0, "08:00", "11:30", "in_progress",
        [
            Item("Rà soát, đánh giá tình hình xây dựng Chính quyền điện tử", "daibieu04", 30, [
                Doc(BC, "Kết quả rà soát, đánh giá tình hình xây dựng Chính quyền điện tử tỉnh Quảng Bình", "stttt", ["cqdt", "dungchung", "bangthong"], 6),
                Doc(BC, f"Tình hình xây dựng Chính quyền điện tử và chuyển đổi số của tỉnh năm {Y}", "ubnd", ["cqdt", "kyso"], 4),
            ]),
            Item("Kết quả triển khai các hệ thống thông tin dùng chung của tỉnh", "daibieu03", 20, [
                Doc(BC, "Kết quả vận hành Hệ thống thông tin một cửa điện tử, Cổng dịch vụ công và hệ thống Quản lý văn bản và Điều hành", "vp", ["dungchung", "dvc"], 3),
            ]),
            Item("Giải pháp thúc đẩy hội nghị trực tuyến đến cấp xã", "daibieu06", 30, [
                Doc(P, "Về việc ban hành Nghị quyết về phát triển hệ thống hội nghị trực tuyến đến cấp xã", "ubnd-ct", ["hntt", "tsl"], 4),
                Doc(NQ, "Về phát triển hệ thống hội nghị trực tuyến từ tỉnh đến cấp xã giai đoạn đến năm 2030", "ubnd", ["hntt", "tsl"], 3),
                Doc(BC, "Khảo sát hiện trạng phòng họp trực tuyến tại Ủy ban nhân dân cấp xã", "ttcntt", ["hntt", "xa"], 3, "internal"),
            ]),
            Item("Phát triển hạ tầng băng thông rộng và mạng truyền số liệu chuyên dùng", "daibieu14", 25, [
                Doc(BC, "Tình hình phát triển hạ tầng Internet băng thông rộng tại 149/151 xã, phường, thị trấn", "stttt", ["bangthong", "tsl"], 4),
                Doc(P, "Về việc phê duyệt phương án nâng cấp mạng truyền số liệu chuyên dùng cấp II đến cấp xã", "stttt", ["tsl", "attt"], 2, subfilter=sign.PKCS7),
            ]),
            Item("Đẩy mạnh gửi, nhận văn bản điện tử có ký số thay thế văn bản giấy", "daibieu13", 20, [
                Doc(P, "Về việc ban hành Nghị quyết về đẩy mạnh sử dụng văn bản điện tử có ký số", "ubnd-ct", ["kyso", "dungchung"], 3),
                Doc(NQ, "Về đẩy mạnh gửi, nhận văn bản điện tử có ký số trong cơ quan nhà nước trên địa bàn tỉnh", "ubnd", ["kyso", "attt"], 3),
            ]),
            Item("Triển khai Hệ thống Phòng họp không giấy tại các phiên họp của UBND tỉnh", "daibieu03", 20, [
                Doc(BC, "Kết quả thử nghiệm Hệ thống Phòng họp không giấy tại các phiên họp thường kỳ của UBND tỉnh", "vp", ["khonggiay", "kyso"], 3),
                Doc(P, "Về việc mở rộng Hệ thống Phòng họp không giấy đến các sở, ban, ngành", "vp", ["khonggiay", "attt"], 3, "internal"),
            ]),
            Item("Đầu tư Trung tâm điều hành thông minh (IOC) và nguồn kinh phí", "daibieu07", 30, [
                Doc(P, "Về việc chủ trương đầu tư Trung tâm điều hành thông minh tỉnh Quảng Bình", "skhdt", ["ioc", "taichinh"], 3),
                Doc(BC, "Thẩm định nguồn vốn và khả năng cân đối vốn đầu tư Trung tâm điều hành thông minh", "stc", ["taichinh", "ioc", "dautu"], 4, "confidential"),
            ]),
            Item("Kết luận của Chủ tịch UBND tỉnh", "chutoa", 15, [
                Doc(KL, "Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại cuộc họp rà soát, đánh giá và giải pháp thúc đẩy xây dựng Chính quyền điện tử", "ubnd", ["hntt", "kyso", "cqdt"], 3),
            ]),
        ],
    ),
    Meeting(
        "next",
        f"Hội nghị trực tuyến sơ kết chuyển đổi số và dịch vụ công trực tuyến năm {Y}",
        "online",
        "Hội trường UBND tỉnh (điểm cầu chính) và 08 điểm cầu huyện, thị xã, thành phố",
        7, "08:00", "11:00", "published",
        [
            Item("Báo cáo sơ kết công tác chuyển đổi số", "daibieu05", 30, [
                Doc(BC, f"Sơ kết công tác chuyển đổi số năm {Y}, phương hướng nhiệm vụ năm {Y + 1}", "stttt", ["cqdt", "nhanluc", "tuyentruyen"], 8),
            ]),
            Item("Dịch vụ công trực tuyến toàn trình và thanh toán trực tuyến", "daibieu13", 20, [
                Doc(BC, "Tình hình cung cấp dịch vụ công trực tuyến toàn trình và thanh toán trực tuyến", "vp", ["dvc", "dungchung"], 3),
            ]),
            Item(f"Kế hoạch chuyển đổi số năm {Y + 1}", "daibieu04", 30, [
                Doc(P, f"Về việc ban hành Kế hoạch chuyển đổi số tỉnh Quảng Bình năm {Y + 1}", "stttt", ["cqdt", "hntt", "khonggiay"], 4),
                Doc(NQ, "Về một số chính sách hỗ trợ chuyển đổi số cấp xã trên địa bàn tỉnh", "ubnd", ["xa", "nhanluc"], 3, subfilter=sign.PKCS7),
            ]),
            Item(f"Phân bổ kinh phí chuyển đổi số năm {Y + 1}", "daibieu10", 25, [
                Doc(P, f"Về việc phân bổ kinh phí thực hiện nhiệm vụ chuyển đổi số năm {Y + 1}", "stc", ["taichinh", "dautu"], 3),
                Doc(BC, f"Tình hình sử dụng kinh phí ứng dụng công nghệ thông tin, chuyển đổi số năm {Y}", "stc", ["taichinh", "cqdt"], 3, "internal"),
            ]),
            Item("Mô hình chuyển đổi số cấp xã tại thành phố Đồng Hới", "daibieu12", 25, [
                Doc(BC, "Kết quả thí điểm mô hình xã, phường chuyển đổi số tại thành phố Đồng Hới", "donghoi", ["xa", "dvc"], 3),
            ]),
            Item("Bảo đảm an toàn thông tin mạng cho các hệ thống dùng chung", "daibieu06", 20, [
                Doc(BC, "Tình hình bảo đảm an toàn thông tin mạng đối với các hệ thống thông tin dùng chung của tỉnh", "ttcntt", ["attt", "tsl"], 4, "internal", sign.PKCS7),
            ]),
            Item("Kết luận của Chủ tịch UBND tỉnh", "chutoa", 15, [
                Doc(KL, "Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại Hội nghị trực tuyến sơ kết chuyển đổi số", "ubnd", ["dvc", "xa", "attt"], 2),
            ]),
        ],
    ),
]

KIND_LABEL = {P: "Tờ trình", NQ: "Dự thảo Nghị quyết", BC: "Báo cáo", KL: "Dự thảo Kết luận"}
KIND_SLUG = {P: "to-trinh", NQ: "du-thao-nghi-quyet", BC: "bao-cao", KL: "du-thao-ket-luan"}


def members_for(meeting: Meeting, rng: random.Random) -> list[dict]:
    m = [
        {"username": "chutoa", "role": "chair", "attendance": "in_room"},
        {"username": "thuky", "role": "secretary", "attendance": "in_room"},
    ]
    remote_share = {"regular": 0.15, "thematic": 0.35, "online": 0.7}[meeting.kind]
    for i in range(1, 16):
        u = f"daibieu{i:02d}"
        if meeting.key == "next" and u == "daibieu15":
            continue  # daibieu15 is deliberately not a member of next week's meeting
        if u in ("daibieu01", "daibieu02", "daibieu03"):
            att = "in_room"
        elif u in ("daibieu11", "daibieu12"):
            att = "remote"  # Đồng Hới city joins from its own meeting room
        else:
            att = "remote" if rng.random() < remote_share else "in_room"
        m.append({"username": u, "role": "member", "attendance": att})
    if meeting.key in ("past", "today"):
        m.append({"username": "khach01", "role": "guest", "attendance": "in_room" if meeting.key == "today" else "remote"})
    if meeting.key in ("today", "next"):
        m.append({"username": "khach02", "role": "guest", "attendance": "in_room" if meeting.key == "today" else "remote"})
    return m


# ------------------------------------------------------------------------ PKI


def demo_pki(new: bool) -> tuple[pki.Identity, pki.Identity]:
    """The demo root CA and the signer, loaded from .keys/ or made anew."""
    if not new and (KEYS / "demo-root-ca.key.pem").exists() and (KEYS / "demo-signer.key.pem").exists():
        root = pki.load_identity(KEYS, "demo-root-ca")
        signer = pki.load_identity(KEYS, "demo-signer", root)
        if signer.cert.not_valid_after_utc > pki.now() + dt.timedelta(days=365):
            return root, signer
    t = pki.now()
    root = pki.create_root_ca(
        "demo-root-ca",
        "PhòngHọp Demo Root CA",
        key_type="rsa3072",
        organization="UBND tỉnh Quảng Bình (demo)",
        not_before=t - dt.timedelta(days=400),
        days=15 * 365,
    )
    signer = pki.create_signer(
        "demo-signer",
        root,
        NAME[SIGNER_USER],
        key_type="rsa2048",
        organization="Văn phòng UBND tỉnh Quảng Bình",
        title=TITLE[SIGNER_USER],
        locality="Đồng Hới",
        state="Quảng Bình",
        not_before=t - dt.timedelta(days=300),
        days=5 * 365,
    )
    KEYS.mkdir(parents=True, exist_ok=True)
    pki.save_identity(root, KEYS)
    pki.save_identity(signer, KEYS)
    return root, signer


# ---------------------------------------------------------------------- build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--new-pki", action="store_true", help="make a new demo root CA and signer")
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: assets/demo)")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    root, signer = demo_pki(args.new_pki)
    pki.write_certs(out / "trust" / "demo-root-ca.pem", [root.cert])

    today = TODAY
    now = dt.datetime.now(TZ)
    rng = random.Random(f"phonghop-demo:{today.isoformat()}")
    counters: dict[str, int] = {}  # per number suffix (issuer and type)
    for old in out.glob("*.pdf"):
        old.unlink()

    province = {
        "province": PROVINCE,
        "password": PASSWORD,
        "org_units": ORG_UNITS,
        "users": [
            {"username": u, "full_name": n, "role": r, "title": t, "org_unit": o} for u, n, r, t, o in USERS
        ],
        "meetings": [],
    }
    manifest = []

    for meeting in MEETINGS:
        mdate = today + dt.timedelta(days=meeting.day_offset)
        # Documents are dated before the meeting and never after today (they are
        # signed now); drafts carry no date, as drafts do.
        latest = min(mdate - dt.timedelta(days=1), today - dt.timedelta(days=1))
        items_json = []
        assert sum(i.minutes for i in meeting.items) <= _minutes(meeting.start, meeting.end), meeting.key
        for n_item, item in enumerate(meeting.items, start=1):
            docs_json = []
            slugs_used: dict[str, int] = {}
            for doc in item.docs:
                iss = ISSUERS[doc.issuer]
                doc_date = latest - dt.timedelta(days=rng.randint(0, 6))
                slug = KIND_SLUG[doc.kind]
                slugs_used[slug] = slugs_used.get(slug, 0) + 1
                fname = f"{meeting.key}-{n_item:02d}-{slug}" + (f"-{slugs_used[slug]}" if slugs_used[slug] > 1 else "") + ".pdf"
                if doc.kind in (P, BC):
                    suffix = iss.proposal_suffix if doc.kind == P else iss.report_suffix
                    if suffix not in counters:
                        counters[suffix] = rng.randint(90, 640)
                    counters[suffix] += rng.randint(1, 12)
                    number = f"{counters[suffix]}/{suffix}"
                elif doc.kind == NQ:
                    number = f"        /{today.year}/NQ-HĐND"
                else:
                    number = "        /TB-VPUBND"
                dated = doc.kind in (P, BC)
                signatory = (
                    Signatory(iss.signatory, NAME[iss.signer_user]) if dated else None
                )
                marking = {"confidential": "MẬT", "internal": "LƯU HÀNH NỘI BỘ"}.get(doc.classification)
                ctx = corpus.DocContext(
                    number=number,
                    date=doc_date if dated else None,
                    subject=doc.subject,
                    focus=doc.focus,
                    seed=f"{meeting.key}-{n_item}-{fname}",
                    pages=doc.pages,
                    year=today.year,
                    signatory=signatory,
                    distribution=iss.distribution if dated else None,
                    marking=marking,
                    issuing_unit=iss.unit,
                    issuer=iss.header,
                    place=iss.place,
                    meeting_title=meeting.title,
                    meeting_place=meeting.room.split(" (")[0],
                    meeting_date=mdate,
                    chair=NAME["chutoa"],
                )
                odoc = corpus.BUILDERS[doc.kind](ctx)
                rendered = vnpdf.render(odoc)
                assert rendered.pages == doc.pages, (fname, rendered.pages, doc.pages)

                # Signed during office hours on the document's date (or, for
                # drafts, on the day they were put into the meeting pack).
                st = dt.datetime.combine(doc_date, dt.time(rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59)), TZ)
                st = min(st, now - dt.timedelta(minutes=5))
                visible = None
                if dated and rendered.signature_box is not None:
                    visible = sign.VisibleSignature(rendered.signature_box.page, rendered.signature_box.rect)
                signed = sign.sign_pdf(
                    rendered.pdf,
                    signer,
                    subfilter=doc.subfilter,
                    signing_time=st,
                    visible=visible,
                    output=out / fname,
                )
                title = _doc_title(doc, number)
                docs_json.append(
                    {"file": fname, "title": title, "kind": doc.kind, "classification": doc.classification}
                )
                manifest.append(
                    {
                        "file": fname,
                        "meeting": meeting.key,
                        "item": n_item,
                        "title": title,
                        "kind": doc.kind,
                        "classification": doc.classification,
                        "pages": rendered.pages,
                        "bytes": len(signed),
                        "sha256": hashlib.sha256(signed).hexdigest(),
                        "signature": {
                            "subfilter": doc.subfilter,
                            "signer": signer.common_name,
                            "organization": "Văn phòng UBND tỉnh Quảng Bình",
                            "signing_time": st.isoformat(),
                            "visible": visible is not None,
                        },
                    }
                )
                print(f"{fname:40s} {rendered.pages} pages {len(signed) // 1024:4d} KiB {doc.subfilter}")
            items_json.append(
                {
                    "title": item.title,
                    "presenter": presenter(item.presenter),
                    "planned_minutes": item.minutes,
                    "documents": docs_json,
                }
            )
        province["meetings"].append(
            {
                "key": meeting.key,
                "title": meeting.title,
                "kind": meeting.kind,
                "room": meeting.room,
                "day_offset": meeting.day_offset,
                "start": meeting.start,
                "end": meeting.end,
                "status": meeting.status,
                "members": members_for(meeting, rng),
                "items": items_json,
            }
        )

    check_schema(province)
    (out / "province.json").write_text(json.dumps(province, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "generated": today.isoformat(),
                "trust_root": "trust/demo-root-ca.pem",
                "root_sha256": root.cert.fingerprint(hashes.SHA256()).hex(),
                "documents": manifest,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    total = sum(d["bytes"] for d in manifest)
    print(f"{len(manifest)} documents, {total / 1e6:.2f} MB")


def _minutes(a: str, b: str) -> int:
    ha, ma = map(int, a.split(":"))
    hb, mb = map(int, b.split(":"))
    return (hb * 60 + mb) - (ha * 60 + ma)


def _doc_title(doc: Doc, number: str) -> str:
    subj = doc.subject
    if doc.kind == P:
        return f"Tờ trình số {number} {subj[:1].lower()}{subj[1:]}"
    if doc.kind == BC:
        return f"Báo cáo số {number}: {subj}"
    if doc.kind == NQ:
        return f"Dự thảo Nghị quyết {subj[:1].lower()}{subj[1:]}"
    return f"Dự thảo {subj}"


def check_schema(p: dict) -> None:
    """The invariants the Rust seeder relies on."""
    roles = {"admin", "secretary", "chair", "delegate", "guest"}
    units = {u["key"] for u in p["org_units"]}
    for u in p["org_units"]:
        assert u["parent"] is None or u["parent"] in units, u
    users = {u["username"]: u for u in p["users"]}
    for u in p["users"]:
        assert u["role"] in roles and u["org_unit"] in units, u
    files = set()
    confidential_today = 0
    for m in p["meetings"]:
        assert m["kind"] in {"regular", "thematic", "online", "working"}
        assert m["status"] in {"draft", "published", "in_progress", "ended"}
        names = [x["username"] for x in m["members"]]
        assert len(names) == len(set(names)) and all(n in users for n in names), m["key"]
        for x in m["members"]:
            assert x["role"] in {"chair", "secretary", "member", "guest"} and x["attendance"] in {"in_room", "remote"}
        assert 5 <= len(m["items"]) <= 10
        for it in m["items"]:
            assert 1 <= len(it["documents"]) <= 3
            for d in it["documents"]:
                assert d["kind"] in {"proposal", "draft_resolution", "report", "draft_conclusion", "other"}
                assert d["classification"] in {"public", "internal", "confidential"}
                assert d["file"] not in files
                files.add(d["file"])
                if m["key"] == "today" and d["classification"] == "confidential":
                    confidential_today += 1
    assert confidential_today == 1
    nxt = next(m for m in p["meetings"] if m["key"] == "next")
    assert "daibieu15" not in [x["username"] for x in nxt["members"]]


if __name__ == "__main__":
    main()
