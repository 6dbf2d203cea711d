// The UI's words, in Vietnamese (default) and English. Both must have every key: the
// `Dict` type makes a missing one a type error.
import type { Code, SignatureStatus } from './bindings';

export interface Dict {
  appName: string;
  tagline: string;
  server: string;
  username: string;
  password: string;
  login: string;
  loggingIn: string;
  logout: string;
  logoutPendingTitle: string;
  logoutPending: string;
  logoutPendingVotes: string;
  logoutAnyway: string;
  stay: string;
  loggingOut: string;
  language: string;
  meetings: string;
  all: string;
  today: string;
  upcoming: string;
  past: string;
  searchMeetings: string;
  noMeetings: string;
  items: string;
  documents: string;
  agenda: string;
  presenter: string;
  minutes: string;
  back: string;
  open: string;
  notDownloaded: string;
  pages: string;
  notes: string;
  addNote: string;
  notePlaceholder: string;
  save: string;
  edit: string;
  delete: string;
  cancel: string;
  noNotes: string;
  signer: string;
  organization: string;
  signingTime: string;
  why: string;
  prevPage: string;
  nextPage: string;
  prevHit: string;
  nextHit: string;
  unknownValue: string;
  signatureDetails: string;
  close: string;
  online: string;
  offline: string;
  syncing: string;
  lastSync: string;
  never: string;
  outbox: string;
  rejected: string;
  dismiss: string;
  pageOutOfRange: string;
  deleteNoteAsk: string;
  loginMissing: string;
  youArePresenting: string;
  stopPresenting: string;
  confirmClosePoll: string;
  downloading: string;
  syncNow: string;
  zoomIn: string;
  zoomOut: string;
  fitWidth: string;
  page: string;
  of: string;
  goToPage: string;
  search: string;
  searchInDocument: string;
  hits: string;
  noHits: string;
  /** A newer version of the open document arrived ({n}: its number). */
  newVersion: string;
  openNewVersion: string;
  thumbnails: string;
  tools: string;
  toolRead: string;
  toolPen: string;
  toolHighlight: string;
  toolSticky: string;
  toolEraser: string;
  undo: string;
  shared: string;
  private: string;
  shareToggle: string;
  stickyPrompt: string;
  annotations: string;
  exportPdf: string;
  exported: string;
  noExportConfidential: string;
  confidential: string;
  room: string;
  time: string;
  welcome: string;
  fileErrors: string;
  liveMeeting: string;
  currentItem: string;
  noCurrentItem: string;
  timeLeft: string;
  overTime: string;
  speaking: string;
  noSpeaker: string;
  checkIn: string;
  checkInRoom: string;
  checkInRemote: string;
  yourAttendance: string;
  requestSpeak: string;
  requestQuestion: string;
  withdraw: string;
  myPlace: string;
  myPlaceUnknown: string;
  youHaveFloor: string;
  queue: string;
  emptyQueue: string;
  history: string;
  attendance: string;
  presentOf: string;
  quorumMet: string;
  quorumNotMet: string;
  polls: string;
  voteNow: string;
  youVoted: string;
  votePending: string;
  confirmVote: string;
  chooseUpTo: string;
  blankBallot: string;
  elected: string;
  noneElected: string;
  confirmVoteHint: string;
  chooseAgain: string;
  voteSent: string;
  cannotVote: string;
  ballots: string;
  passed: string;
  notPassed: string;
  provisional: string;
  secretOpen: string;
  closesIn: string;
  console: string;
  projector: string;
  setCurrent: string;
  endItem: string;
  grant: string;
  endFloor: string;
  speakLimit: string;
  unlimited: string;
  newPoll: string;
  question: string;
  questionPlaceholder: string;
  openNow: string;
  openPoll: string;
  closePoll: string;
  duration: string;
  noLimit: string;
  noPolls: string;
  arithmetic: string;
  questionRequired: string;
  presentToRoom: string;
  followPresenter: string;
  watchAlong: string;
  presentingDoc: string;
  waitingForMeeting: string;
  inRoom: string;
  remote: string;
  represented: string;
  absent: string;
  notCheckedIn: string;
  presenting: string;
  liveOffline: string;
  resultTitle: string;
  attendanceStates: Record<string, string>;
  speakKinds: Record<string, string>;
  pollKinds: Record<string, string>;
  pollStatus: Record<string, string>;
  errors: Record<Code, string>;
  /** What a change the server refused was, by op kind (the status bar's list). */
  opKinds: Record<string, string>;
  /** Why the server refused a change, by the server's error code. */
  refusals: Record<string, string>;
  signature: Record<SignatureStatus, string>;
  /** Why a signature has its status, in plain words (the engine's detail is technical). */
  signatureWhy: Record<SignatureStatus, string>;
  technicalDetail: string;
  /** The badge shows the server's check, not this device's. */
  signatureFromServer: string;
  docKinds: Record<string, string>;
  meetingStatus: Record<string, string>;
  classification: Record<string, string>;
}

export const vi: Dict = {
  appName: 'PhòngHọp',
  tagline: 'Hệ thống phòng họp không giấy',
  server: 'Địa chỉ máy chủ',
  username: 'Tên đăng nhập',
  password: 'Mật khẩu',
  login: 'Đăng nhập',
  loggingIn: 'Đang đăng nhập…',
  logout: 'Đăng xuất',
  logoutPendingTitle: 'Còn thay đổi chưa gửi lên máy chủ',
  logoutPending:
    'Máy này còn {n} thay đổi chưa gửi. Khi đăng xuất, máy sẽ thử gửi ngay; nếu chưa gửi được, chúng vẫn được giữ trên máy này và tự gửi khi bạn đăng nhập lại trên máy này.',
  logoutPendingVotes:
    'Trong đó có {n} phiếu biểu quyết hoặc phiếu lấy ý kiến: phiếu chỉ được tính nếu đến máy chủ trước khi hết thời gian cho phép.',
  logoutAnyway: 'Vẫn đăng xuất',
  stay: 'Ở lại',
  loggingOut: 'Đang gửi và đăng xuất…',
  language: 'Ngôn ngữ',
  meetings: 'Cuộc họp',
  all: 'Tất cả',
  today: 'Hôm nay',
  upcoming: 'Sắp diễn ra',
  past: 'Đã diễn ra',
  searchMeetings: 'Tìm cuộc họp…',
  noMeetings: 'Không có cuộc họp nào',
  items: 'nội dung',
  documents: 'tài liệu',
  agenda: 'Chương trình họp',
  presenter: 'Trình bày',
  minutes: 'phút',
  back: 'Quay lại',
  open: 'Mở',
  notDownloaded: 'Chưa tải về',
  pages: 'trang',
  notes: 'Ghi chú cá nhân',
  addNote: 'Thêm ghi chú',
  notePlaceholder: 'Viết ghi chú cho cuộc họp này…',
  save: 'Lưu',
  edit: 'Sửa',
  delete: 'Xóa',
  cancel: 'Hủy',
  noNotes: 'Chưa có ghi chú.',
  signer: 'Người ký',
  organization: 'Cơ quan',
  signingTime: 'Thời gian ký',
  why: 'Lý do',
  prevPage: 'Trang trước',
  nextPage: 'Trang sau',
  prevHit: 'Kết quả trước',
  nextHit: 'Kết quả tiếp theo',
  unknownValue: 'Không xác định',
  signatureDetails: 'Chữ ký số',
  close: 'Đóng',
  online: 'Trực tuyến',
  offline: 'Ngoại tuyến',
  syncing: 'Đang đồng bộ…',
  lastSync: 'Đồng bộ lần cuối',
  never: 'chưa',
  outbox: 'Chờ gửi',
  rejected: 'Bị từ chối',
  dismiss: 'Bỏ qua',
  pageOutOfRange: 'Số trang phải là số nguyên từ 1 đến {n}.',
  deleteNoteAsk: 'Xóa ghi chú này?',
  loginMissing: 'Vui lòng nhập đủ địa chỉ máy chủ, tên đăng nhập và mật khẩu.',
  youArePresenting: 'Bạn đang trình bày: các đại biểu theo dõi thấy trang bạn đang xem.',
  stopPresenting: 'Dừng trình bày',
  confirmClosePoll: 'Kết thúc biểu quyết? Sau khi kết thúc, máy chủ không nhận thêm phiếu.',
  downloading: 'Đang tải tài liệu',
  syncNow: 'Đồng bộ ngay',
  zoomIn: 'Phóng to',
  zoomOut: 'Thu nhỏ',
  fitWidth: 'Vừa chiều rộng',
  page: 'Trang',
  of: '/',
  goToPage: 'Đến trang',
  search: 'Tìm',
  searchInDocument: 'Tìm trong tài liệu (không cần dấu)…',
  hits: 'kết quả',
  noHits: 'Không tìm thấy',
  newVersion: 'Tài liệu đã có phiên bản mới (bản {n}). Chú thích của bạn vẫn ở bản đang xem.',
  openNewVersion: 'Mở phiên bản mới',
  thumbnails: 'Trang thu nhỏ',
  tools: 'Công cụ',
  toolRead: 'Đọc',
  toolPen: 'Bút',
  toolHighlight: 'Tô sáng',
  toolSticky: 'Ghi chú dán',
  toolEraser: 'Tẩy',
  undo: 'Hoàn tác',
  shared: 'Chia sẻ với cuộc họp',
  private: 'Riêng tư',
  shareToggle: 'Chia sẻ chú thích mới',
  stickyPrompt: 'Nội dung ghi chú dán:',
  annotations: 'chú thích',
  exportPdf: 'Xuất PDF có chú thích',
  exported: 'Đã lưu bản PDF có chú thích: {path}',
  noExportConfidential: 'Tài liệu mật không được xuất ra ngoài',
  confidential: 'MẬT',
  room: 'Phòng họp',
  time: 'Thời gian',
  welcome: 'Xin chào',
  fileErrors: 'tệp lỗi',
  liveMeeting: 'Diễn biến phiên họp',
  currentItem: 'Nội dung đang thảo luận',
  noCurrentItem: 'Chưa bắt đầu nội dung nào',
  timeLeft: 'còn {time}',
  overTime: 'quá {time}',
  speaking: 'Đang phát biểu',
  noSpeaker: 'Chưa có đại biểu phát biểu',
  checkIn: 'Điểm danh',
  checkInRoom: 'Có mặt tại phòng họp',
  checkInRemote: 'Dự họp trực tuyến',
  yourAttendance: 'Điểm danh của bạn: {state}',
  requestSpeak: 'Đăng ký phát biểu',
  requestQuestion: 'Đăng ký chất vấn',
  withdraw: 'Rút đăng ký',
  myPlace: 'Bạn đứng thứ {n} trong danh sách',
  myPlaceUnknown: 'Đã đăng ký, chờ gửi lên máy chủ',
  youHaveFloor: 'Bạn đang được mời phát biểu',
  queue: 'Danh sách đăng ký phát biểu',
  emptyQueue: 'Chưa có đại biểu đăng ký',
  history: 'Đã phát biểu',
  attendance: 'Điểm danh',
  presentOf: 'Có mặt {present}/{members}',
  quorumMet: 'Đủ điều kiện tiến hành (cần {required})',
  quorumNotMet: 'Chưa đủ số đại biểu (cần {required})',
  polls: 'Biểu quyết',
  voteNow: 'Mời đại biểu biểu quyết',
  youVoted: 'Bạn đã biểu quyết: {choice}',
  votePending: 'Phiếu đã ghi nhận trên máy, chờ gửi lên máy chủ',
  confirmVote: 'Xác nhận: {choice}',
  chooseUpTo: 'Chọn tối đa {n} người/phương án, rồi bấm Xác nhận.',
  blankBallot: 'phiếu trắng (không chọn ai)',
  elected: 'Được chọn: {names}',
  noneElected: 'Không có phương án nào đạt',
  confirmVoteHint: 'Phiếu đã gửi không thể sửa.',
  chooseAgain: 'Chọn lại',
  voteSent: 'Máy chủ đã nhận phiếu',
  cannotVote: 'Bạn không có quyền biểu quyết trong cuộc họp này',
  ballots: '{cast} phiếu',
  passed: 'THÔNG QUA',
  notPassed: 'KHÔNG THÔNG QUA',
  provisional: 'Kết quả tạm thời',
  secretOpen: 'Bỏ phiếu kín: kết quả công bố khi kết thúc',
  closesIn: 'Kết thúc sau {time}',
  console: 'Điều hành phiên họp',
  projector: 'Màn hình trình chiếu',
  setCurrent: 'Chuyển sang',
  endItem: 'Kết thúc nội dung',
  grant: 'Mời phát biểu',
  endFloor: 'Kết thúc',
  speakLimit: 'Thời gian phát biểu',
  unlimited: 'Không giới hạn',
  newPoll: 'Tạo biểu quyết',
  question: 'Nội dung biểu quyết',
  questionPlaceholder: 'Ví dụ: Thông qua dự thảo Nghị quyết…',
  openNow: 'Mở ngay',
  openPoll: 'Mở biểu quyết',
  closePoll: 'Kết thúc biểu quyết',
  duration: 'Thời gian',
  noLimit: 'Đến khi chủ tọa kết thúc',
  noPolls: 'Chưa có biểu quyết',
  arithmetic: 'Cách tính',
  questionRequired: 'Vui lòng nhập nội dung biểu quyết',
  presentToRoom: 'Trình bày cho các đại biểu',
  followPresenter: 'Theo người trình bày',
  watchAlong: 'Xem cùng',
  presentingDoc: '{name} đang trình bày: {doc}, trang {page}',
  waitingForMeeting: 'Phiên họp chưa bắt đầu',
  inRoom: 'Tại phòng',
  remote: 'Trực tuyến',
  represented: 'Ủy quyền',
  absent: 'Vắng',
  notCheckedIn: 'Chưa điểm danh',
  presenting: '{name} đang trình bày trang {page}',
  liveOffline: 'Ngoại tuyến: thao tác được lưu trên máy và gửi khi có mạng',
  resultTitle: 'Kết quả biểu quyết',
  attendanceStates: { in_room: 'có mặt tại phòng', remote: 'dự trực tuyến', absent: 'vắng', proxy: 'ủy quyền' },
  speakKinds: { speak: 'Phát biểu', question: 'Chất vấn' },
  pollKinds: { open: 'Công khai', named: 'Ghi danh', secret: 'Bỏ phiếu kín' },
  pollStatus: { draft: 'Chưa mở', open: 'Đang biểu quyết', closed: 'Đã kết thúc' },
  errors: {
    bad_credentials: 'Sai tên đăng nhập hoặc mật khẩu',
    offline: 'Không kết nối được máy chủ. Kiểm tra địa chỉ máy chủ và mạng.',
    throttled: 'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.',
    account_disabled: 'Tài khoản đã bị khóa. Liên hệ quản trị hệ thống.',
    device_revoked: 'Thiết bị này đã bị thu hồi quyền truy cập. Dữ liệu cuộc họp trên máy này đã được xoá.',
    server_error: 'Máy chủ báo lỗi. Vui lòng thử lại.',
    not_logged_in: 'Bạn chưa đăng nhập.',
    session_ended: 'Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.',
    forbidden: 'Bạn không có quyền thực hiện thao tác này.',
    not_found: 'Không tìm thấy dữ liệu yêu cầu.',
    not_downloaded: 'Tài liệu chưa được tải về máy. Vui lòng chờ đồng bộ.',
    invalid: 'Dữ liệu không hợp lệ.',
    newer_cache: 'Dữ liệu trên máy được tạo bởi phiên bản mới hơn. Vui lòng cập nhật ứng dụng.',
    storage: 'Lỗi lưu trữ trên máy.',
    pdf: 'Không mở được tài liệu PDF.',
    poll_not_open: 'Biểu quyết chưa mở hoặc đã kết thúc.',
    already_voted: 'Bạn đã biểu quyết rồi: mỗi đại biểu một phiếu.',
    internal: 'Đã xảy ra lỗi không mong muốn.',
  },
  opKinds: {
    'meeting.create': 'Tạo cuộc họp',
    'meeting.update': 'Sửa cuộc họp',
    'meeting.publish': 'Phát hành cuộc họp',
    'meeting.status': 'Đổi trạng thái cuộc họp',
    'item.add': 'Thêm nội dung họp',
    'item.update': 'Sửa nội dung họp',
    'item.move': 'Đổi thứ tự nội dung họp',
    'item.remove': 'Xóa nội dung họp',
    'document.attach': 'Đính kèm tài liệu',
    'member.add': 'Thêm thành phần',
    'member.remove': 'Bớt thành phần',
    'note.put': 'Ghi chú cá nhân',
    'note.delete': 'Xóa ghi chú',
    'annotation.put': 'Chú thích trên tài liệu',
    'annotation.delete': 'Xóa chú thích',
    'attendance.set': 'Điểm danh',
    'speak.request': 'Đăng ký phát biểu',
    'speak.withdraw': 'Rút đăng ký phát biểu',
    'speak.grant': 'Mời phát biểu',
    'speak.end': 'Kết thúc phát biểu',
    'agenda.current': 'Chuyển nội dung họp',
    'present.page': 'Trình bày trang',
    'present.stop': 'Dừng trình bày',
    'poll.create': 'Tạo biểu quyết',
    'poll.open': 'Mở biểu quyết',
    'poll.close': 'Kết thúc biểu quyết',
    'ballot.cast': 'Phiếu biểu quyết',
    'opinion.create': 'Tạo phiếu lấy ý kiến',
    'opinion.answer': 'Trả lời phiếu lấy ý kiến',
  },
  refusals: {
    bad_request: 'Yêu cầu không hợp lệ.',
    bad_json: 'Dữ liệu gửi đi bị lỗi.',
    bad_op: 'Máy chủ không hiểu thao tác này (có thể cần cập nhật ứng dụng hoặc máy chủ).',
    payload_too_large: 'Quá lớn để gửi lên máy chủ.',
    not_pdf: 'Máy chủ không đọc được tệp này như một tệp PDF (tệp hỏng hoặc không phải PDF).',
    forbidden: 'Bạn không có quyền thực hiện thao tác này.',
    not_found: 'Dữ liệu liên quan không còn trên máy chủ.',
    conflict: 'Xung đột với thay đổi khác đã có trên máy chủ.',
    validation: 'Dữ liệu không hợp lệ.',
    deadline_passed: 'Đã quá thời hạn (biểu quyết hoặc lấy ý kiến đã kết thúc).',
    bad_signature: 'Chữ ký của thiết bị không hợp lệ.',
    device_revoked: 'Thiết bị này đã bị thu hồi quyền truy cập.',
    internal: 'Máy chủ gặp lỗi khi xử lý.',
    other: 'Máy chủ không nhận thay đổi này.',
  },
  signature: {
    valid: 'Chữ ký hợp lệ',
    invalid: 'Chữ ký không hợp lệ',
    untrusted: 'Chữ ký chưa được tin cậy',
    modified: 'Bị sửa đổi sau khi ký',
    unsupported: 'Không kiểm tra được chữ ký',
    unsigned: 'Chưa ký số',
    unknown: 'Chưa kiểm tra',
  },
  signatureWhy: {
    valid: 'Chữ ký số đúng, tài liệu không bị sửa sau khi ký và chứng thư thuộc nguồn tin cậy.',
    invalid: 'Chữ ký không khớp với nội dung tài liệu hoặc bị hỏng: không dùng bản này làm căn cứ.',
    untrusted: 'Chữ ký đúng, nhưng chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp.',
    modified: 'Tài liệu đã bị thay đổi sau khi ký: phần thêm vào không được chữ ký bảo đảm.',
    unsupported: 'Chữ ký dùng thuật toán hoặc định dạng mà ứng dụng chưa kiểm tra được.',
    unsigned: 'Tài liệu không có chữ ký số.',
    unknown: 'Tài liệu chưa được kiểm tra chữ ký trên máy này.',
  },
  technicalDetail: 'Chi tiết kỹ thuật',
  signatureFromServer: 'Kết quả kiểm tra của máy chủ khi tải lên; máy này chưa tự kiểm tra tệp.',
  docKinds: {
    proposal: 'Tờ trình',
    draft_resolution: 'Dự thảo nghị quyết',
    report: 'Báo cáo',
    draft_conclusion: 'Dự thảo kết luận',
    other: 'Tài liệu',
  },
  meetingStatus: {
    draft: 'Bản nháp',
    published: 'Đã gửi giấy mời',
    in_progress: 'Đang họp',
    ended: 'Đã kết thúc',
  },
  classification: { public: 'Công khai', internal: 'Nội bộ', confidential: 'Mật' },
};

export const en: Dict = {
  appName: 'PhòngHọp',
  tagline: 'Paperless meeting room',
  server: 'Server address',
  username: 'Username',
  password: 'Password',
  login: 'Sign in',
  loggingIn: 'Signing in…',
  logout: 'Sign out',
  logoutPendingTitle: 'Changes not yet sent to the server',
  logoutPending:
    'This device has {n} change(s) not yet sent. Signing out tries to send them now; whatever cannot be sent stays on this device and is sent when you sign in here again.',
  logoutPendingVotes:
    '{n} of them are ballots or written opinions: a ballot counts only if it reaches the server before the time allowed runs out.',
  logoutAnyway: 'Sign out anyway',
  stay: 'Stay',
  loggingOut: 'Sending and signing out…',
  language: 'Language',
  meetings: 'Meetings',
  all: 'All',
  today: 'Today',
  upcoming: 'Upcoming',
  past: 'Past',
  searchMeetings: 'Search meetings…',
  noMeetings: 'No meetings',
  items: 'items',
  documents: 'documents',
  agenda: 'Agenda',
  presenter: 'Presenter',
  minutes: 'min',
  back: 'Back',
  open: 'Open',
  notDownloaded: 'Not downloaded',
  pages: 'pages',
  notes: 'Personal notes',
  addNote: 'Add note',
  notePlaceholder: 'Write a note for this meeting…',
  save: 'Save',
  edit: 'Edit',
  delete: 'Delete',
  cancel: 'Cancel',
  noNotes: 'No notes yet.',
  signer: 'Signer',
  organization: 'Organisation',
  signingTime: 'Signed at',
  why: 'Reason',
  prevPage: 'Previous page',
  nextPage: 'Next page',
  prevHit: 'Previous match',
  nextHit: 'Next match',
  unknownValue: 'Unknown',
  signatureDetails: 'Digital signature',
  close: 'Close',
  online: 'Online',
  offline: 'Offline',
  syncing: 'Syncing…',
  lastSync: 'Last sync',
  never: 'never',
  outbox: 'Waiting to send',
  rejected: 'Rejected',
  dismiss: 'Dismiss',
  pageOutOfRange: 'The page must be a whole number from 1 to {n}.',
  deleteNoteAsk: 'Delete this note?',
  loginMissing: 'Please fill in the server address, username and password.',
  youArePresenting: 'You are presenting: delegates who follow see the page you are on.',
  stopPresenting: 'Stop presenting',
  confirmClosePoll: 'Close the vote? After closing, the server takes no more ballots.',
  downloading: 'Downloading documents',
  syncNow: 'Sync now',
  zoomIn: 'Zoom in',
  zoomOut: 'Zoom out',
  fitWidth: 'Fit width',
  page: 'Page',
  of: '/',
  goToPage: 'Go to page',
  search: 'Search',
  searchInDocument: 'Search the document (diacritics optional)…',
  hits: 'hits',
  noHits: 'Not found',
  newVersion: 'A newer version of this document has arrived (version {n}). Your marks stay on the version shown.',
  openNewVersion: 'Open the new version',
  thumbnails: 'Thumbnails',
  tools: 'Tools',
  toolRead: 'Read',
  toolPen: 'Pen',
  toolHighlight: 'Highlight',
  toolSticky: 'Sticky note',
  toolEraser: 'Eraser',
  undo: 'Undo',
  shared: 'Shared with the meeting',
  private: 'Private',
  shareToggle: 'Share new annotations',
  stickyPrompt: 'Sticky note text:',
  annotations: 'annotations',
  exportPdf: 'Export with annotations',
  exported: 'Saved a PDF with the annotations: {path}',
  noExportConfidential: 'Confidential documents cannot be exported',
  confidential: 'CONFIDENTIAL',
  room: 'Room',
  time: 'Time',
  welcome: 'Hello',
  fileErrors: 'file errors',
  liveMeeting: 'Live meeting',
  currentItem: 'Under discussion',
  noCurrentItem: 'No item under discussion yet',
  timeLeft: '{time} left',
  overTime: '{time} over',
  speaking: 'Has the floor',
  noSpeaker: 'Nobody has the floor',
  checkIn: 'Check in',
  checkInRoom: 'In the room',
  checkInRemote: 'Remote',
  yourAttendance: 'Your attendance: {state}',
  requestSpeak: 'Ask to speak',
  requestQuestion: 'Ask a question',
  withdraw: 'Withdraw',
  myPlace: 'You are number {n} in the queue',
  myPlaceUnknown: 'Requested; waiting to reach the server',
  youHaveFloor: 'You have the floor',
  queue: 'Speaker queue',
  emptyQueue: 'Nobody is waiting',
  history: 'Spoke',
  attendance: 'Attendance',
  presentOf: 'Present {present}/{members}',
  quorumMet: 'Quorum met (needs {required})',
  quorumNotMet: 'No quorum yet (needs {required})',
  polls: 'Votes',
  voteNow: 'Please vote',
  youVoted: 'You voted: {choice}',
  votePending: 'Cast on this device; waiting to reach the server',
  confirmVote: 'Confirm: {choice}',
  chooseUpTo: 'Choose up to {n}, then confirm.',
  blankBallot: 'a blank ballot (no one chosen)',
  elected: 'Chosen: {names}',
  noneElected: 'No option reached the threshold',
  confirmVoteHint: 'A ballot cannot be changed once cast.',
  chooseAgain: 'Choose again',
  voteSent: 'The server has your ballot',
  cannotVote: 'You do not vote in this meeting',
  ballots: '{cast} ballots',
  passed: 'PASSED',
  notPassed: 'NOT PASSED',
  provisional: 'Provisional',
  secretOpen: 'Secret ballot: results when it closes',
  closesIn: 'Closes in {time}',
  console: 'Run the meeting',
  projector: 'Projector view',
  setCurrent: 'Make current',
  endItem: 'End the item',
  grant: 'Give the floor',
  endFloor: 'End the turn',
  speakLimit: 'Speaking time',
  unlimited: 'Unlimited',
  newPoll: 'New poll',
  question: 'Question',
  questionPlaceholder: 'e.g. Adopt the draft resolution…',
  openNow: 'Open at once',
  openPoll: 'Open voting',
  closePoll: 'Close voting',
  duration: 'Time limit',
  noLimit: 'Until the chair closes it',
  noPolls: 'No votes yet',
  arithmetic: 'Arithmetic',
  questionRequired: 'Please enter the question',
  presentToRoom: 'Present to the room',
  followPresenter: 'Follow the presenter',
  watchAlong: 'Follow',
  presentingDoc: '{name} is presenting {doc}, page {page}',
  waitingForMeeting: 'The meeting has not started',
  inRoom: 'In the room',
  remote: 'Remote',
  represented: 'By proxy',
  absent: 'Absent',
  notCheckedIn: 'Not checked in',
  presenting: '{name} is presenting page {page}',
  liveOffline: 'Offline: actions are kept on this device and sent when the network is back',
  resultTitle: 'Result',
  attendanceStates: { in_room: 'in the room', remote: 'remote', absent: 'absent', proxy: 'by proxy' },
  speakKinds: { speak: 'Speech', question: 'Question' },
  pollKinds: { open: 'Open', named: 'Named', secret: 'Secret' },
  pollStatus: { draft: 'Not open', open: 'Voting', closed: 'Closed' },
  errors: {
    bad_credentials: 'Wrong username or password',
    offline: 'Cannot reach the server. Check the server address and the network.',
    throttled: 'Too many failed sign-ins. Please try again in a few minutes.',
    account_disabled: 'This account is disabled. Contact the administrator.',
    device_revoked: 'This device has been revoked. The meeting data on it has been erased.',
    server_error: 'The server reported an error. Please try again.',
    not_logged_in: 'You are not signed in.',
    session_ended: 'Your session has ended. Please sign in again.',
    forbidden: 'You may not do this.',
    not_found: 'Not found.',
    not_downloaded: 'The document is not on this device yet. Please wait for the sync.',
    invalid: 'Invalid input.',
    newer_cache: 'The local data was written by a newer version. Please update the app.',
    storage: 'Local storage failed.',
    pdf: 'The PDF could not be opened.',
    poll_not_open: 'The vote is not open (not yet, or it has ended).',
    already_voted: 'You have voted already: one ballot per voter.',
    internal: 'Something unexpected went wrong.',
  },
  opKinds: {
    'meeting.create': 'Create meeting',
    'meeting.update': 'Edit meeting',
    'meeting.publish': 'Publish meeting',
    'meeting.status': 'Change meeting status',
    'item.add': 'Add agenda item',
    'item.update': 'Edit agenda item',
    'item.move': 'Reorder agenda item',
    'item.remove': 'Remove agenda item',
    'document.attach': 'Attach document',
    'member.add': 'Add member',
    'member.remove': 'Remove member',
    'note.put': 'Personal note',
    'note.delete': 'Delete note',
    'annotation.put': 'Annotation',
    'annotation.delete': 'Delete annotation',
    'attendance.set': 'Check-in',
    'speak.request': 'Request to speak',
    'speak.withdraw': 'Withdraw request',
    'speak.grant': 'Give the floor',
    'speak.end': 'End speech',
    'agenda.current': 'Move to agenda item',
    'present.page': 'Present',
    'present.stop': 'Stop presenting',
    'poll.create': 'Create poll',
    'poll.open': 'Open poll',
    'poll.close': 'Close poll',
    'ballot.cast': 'Ballot',
    'opinion.create': 'Create written-opinion ballot',
    'opinion.answer': 'Written opinion',
  },
  refusals: {
    bad_request: 'The request was not valid.',
    bad_json: 'The data sent was damaged.',
    bad_op: 'The server does not understand this action (the app or the server may need an update).',
    payload_too_large: 'Too large to send to the server.',
    not_pdf: 'The server cannot read this file as a PDF (damaged, or not a PDF).',
    forbidden: 'You are not allowed to do this.',
    not_found: 'What it refers to is no longer on the server.',
    conflict: 'It conflicts with another change already on the server.',
    validation: 'The data is not valid.',
    deadline_passed: 'Too late (the vote or the written-opinion ballot has ended).',
    bad_signature: "The device's signature is not valid.",
    device_revoked: 'This device has been revoked.',
    internal: 'The server failed while handling it.',
    other: 'The server did not take this change.',
  },
  signature: {
    valid: 'Valid signature',
    invalid: 'Invalid signature',
    untrusted: 'Untrusted signature',
    modified: 'Modified after signing',
    unsupported: 'Signature not checkable',
    unsigned: 'Not signed',
    unknown: 'Not checked yet',
  },
  signatureWhy: {
    valid: 'The signature is correct, the document was not changed after signing, and the certificate is trusted.',
    invalid: 'The signature does not match the document or is damaged: do not rely on this copy.',
    untrusted: 'The signature is correct, but the certificate was not issued by a trusted certification authority.',
    modified: 'The document was changed after it was signed: what was added is not covered by the signature.',
    unsupported: 'The signature uses an algorithm or format the app cannot check yet.',
    unsigned: 'The document has no digital signature.',
    unknown: 'The signature has not been checked on this device yet.',
  },
  technicalDetail: 'Technical detail',
  signatureFromServer: 'The server\'s check at upload; this device has not checked the file itself yet.',
  docKinds: {
    proposal: 'Proposal',
    draft_resolution: 'Draft resolution',
    report: 'Report',
    draft_conclusion: 'Draft conclusion',
    other: 'Document',
  },
  meetingStatus: {
    draft: 'Draft',
    published: 'Invitation sent',
    in_progress: 'In progress',
    ended: 'Ended',
  },
  classification: { public: 'Public', internal: 'Internal', confidential: 'Confidential' },
};
